public import Foundation
import Synchronization

/// A child process whose stdout is watched for a line; stopped (SIGTERM, then SIGKILL) on demand.
public final class ManagedProcess: @unchecked Sendable {
    public let process = Process()
    private let lines = Mutex<[String]>([])
    private let pipe = Pipe()

    /// Where stdout and stderr are copied, when asked.
    private let log: FileHandle?

    /// A process of `executable`; with `log`, everything it prints is appended to that file.
    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:], log path: String? = nil) {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        process.environment = merged
        process.standardOutput = pipe
        if let path, FileManager.default.fileExists(atPath: path) || FileManager.default.createFile(atPath: path, contents: nil),
           let handle = FileHandle(forWritingAtPath: path) {
            handle.seekToEndOfFile()
            log = handle
            process.standardError = handle
        } else {
            log = nil
            process.standardError = FileHandle.nullDevice
        }
        process.standardInput = FileHandle.nullDevice
    }

    /// Starts the process and returns the capture groups of the first stdout line matching `pattern`.
    public func start(waitingFor pattern: String, timeout: TimeInterval = 30) throws -> [String] {
        let regex = try NSRegularExpression(pattern: pattern)
        try process.run()
        let handle = pipe.fileHandleForReading
        var buffer = Data()
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            log?.write(chunk)
            while let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                lines.withLock { $0.append(line) }
                let range = NSRange(line.startIndex..., in: line)
                if let match = regex.firstMatch(in: line, range: range) {
                    // Keep draining stdout so the child never blocks on a full pipe.
                    let log = log
                    handle.readabilityHandler = { handle in
                        let data = handle.availableData
                        if data.isEmpty { handle.readabilityHandler = nil } else { log?.write(data) }
                    }
                    return (1..<match.numberOfRanges).compactMap { Range(match.range(at: $0), in: line).map { String(line[$0]) } }
                }
            }
        }
        stop()
        throw ProcessError.didNotStart(executable: process.executableURL?.path ?? "", output: lines.withLock { $0 })
    }

    public var isRunning: Bool { process.isRunning }

    /// Every stdout line read so far (up to the one that matched).
    public var output: [String] { lines.withLock { $0 } }

    /// SIGTERM, then SIGKILL after `grace` seconds.
    public func stop(grace: TimeInterval = 10) {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(grace)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// SIGKILL at once, as a crash would end it.
    public func crash() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    public enum ProcessError: Error {
        case didNotStart(executable: String, output: [String])
    }

    deinit { stop(grace: 2) }
}

/// Built executables next to `lumenctl`.
public func builtExecutable(_ name: String) -> String {
    (lumenctlExecutable as NSString).deletingLastPathComponent + "/" + name
}
