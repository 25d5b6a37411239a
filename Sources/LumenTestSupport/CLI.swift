public import Foundation
import LumenCtl

/// What one `lumenctl` run produced.
public struct CLIResult: Sendable, CustomStringConvertible {
    public var exitCode: Int32
    public var output: String
    public var error: String

    public var description: String { "exit \(exitCode)\n--- stdout\n\(output)--- stderr\n\(error)" }
}

/// Runs `lumenctl` in-process against `home`, capturing its output.
public func lumenctl(_ arguments: [String], home: String, stdin: String = "", terminal: Bool = false,
                     environment: [String: String] = [:]) -> CLIResult {
    let console = Console.capturing(environment: environment, isTerminal: terminal, standardInput: Data(stdin.utf8))
    let code = Lumenctl.run(arguments + ["--home", home], console: console)
    return CLIResult(exitCode: code, output: console.capturedOutput, error: console.capturedError)
}

/// The built `lumenctl` executable, next to the test bundle in the build folder.
public var lumenctlExecutable: String {
    if let override = ProcessInfo.processInfo.environment["LUMENCTL"] { return override }
    var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = folder.appendingPathComponent("lumenctl").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        folder = folder.deletingLastPathComponent()
    }
    return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("lumenctl").path
}

/// A child process running `lumenctl`; output goes to files so a killed child leaves them readable.
public final class LumenctlProcess: @unchecked Sendable {
    public let process = Process()
    private let outputPath: String
    private let errorPath: String

    /// `home` is passed as `--home` to the commands that take one.
    public init(_ arguments: [String], home: String?, scratch: String, environment extra: [String: String] = [:]) throws {
        let id = UUID().uuidString.prefix(8)
        outputPath = (scratch as NSString).appendingPathComponent("out-\(id)")
        errorPath = (scratch as NSString).appendingPathComponent("err-\(id)")
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: lumenctlExecutable)
        process.arguments = arguments + (home.map { ["--home", $0] } ?? [])
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        for (key, value) in extra { environment[key] = value }
        process.environment = environment
        process.standardOutput = FileHandle(forWritingAtPath: outputPath)
        process.standardError = FileHandle(forWritingAtPath: errorPath)
        process.standardInput = FileHandle.nullDevice
    }

    public func start() throws { try process.run() }

    public func wait() -> CLIResult {
        process.waitUntilExit()
        return CLIResult(
            exitCode: process.terminationStatus,
            output: (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "",
            error: (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
        )
    }

    public func kill() { Foundation.kill(process.processIdentifier, SIGKILL) }

    /// Runs to completion.
    public static func run(_ arguments: [String], home: String, scratch: String) throws -> CLIResult {
        let child = try LumenctlProcess(arguments, home: home, scratch: scratch)
        try child.start()
        return child.wait()
    }
}
