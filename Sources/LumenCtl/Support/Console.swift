public import Foundation
import LumenManifest
import Synchronization

/// Where a command writes and what it knows of its environment. Tests run commands with a
/// capturing console; the executable uses the process's own streams.
public final class Console: Sendable {
    public let environment: [String: String]
    /// Whether standard output is a terminal (colour and layout decisions).
    public let isTerminal: Bool
    public let standardInput: @Sendable () -> Data
    private let sink: Sink

    private enum Sink: Sendable {
        case process
        case capture(Captured)
    }

    /// The console of the running process.
    public static func process() -> Console {
        Console(
            environment: ProcessInfo.processInfo.environment,
            isTerminal: isatty(STDOUT_FILENO) == 1,
            standardInput: ManifestLoader.readStandardInput,
            sink: .process
        )
    }

    /// A console that keeps everything written, for tests.
    public static func capturing(
        environment: [String: String] = [:], isTerminal: Bool = false, standardInput: Data = Data()
    ) -> Console {
        Console(environment: environment, isTerminal: isTerminal, standardInput: { standardInput },
                sink: .capture(Captured()))
    }

    private init(environment: [String: String], isTerminal: Bool, standardInput: @escaping @Sendable () -> Data, sink: Sink) {
        self.environment = environment
        self.isTerminal = isTerminal
        self.standardInput = standardInput
        self.sink = sink
    }

    private final class Captured: Sendable {
        let buffer = Mutex((out: "", err: ""))

        func withLock<T>(_ body: (inout (out: String, err: String)) -> T) -> T {
            buffer.withLock { body(&$0) }
        }
    }

    @TaskLocal public static var current = Console.process()

    public func write(_ text: String) {
        switch sink {
        case .process: FileHandle.standardOutput.write(Data(text.utf8))
        case .capture(let buffer): buffer.withLock { $0.out += text }
        }
    }

    public func writeError(_ text: String) {
        switch sink {
        case .process: FileHandle.standardError.write(Data(text.utf8))
        case .capture(let buffer): buffer.withLock { $0.err += text }
        }
    }

    /// Everything written to standard output so far (capturing consoles only).
    public var capturedOutput: String {
        if case .capture(let buffer) = sink { return buffer.withLock { $0.out } }
        return ""
    }

    public var capturedError: String {
        if case .capture(let buffer) = sink { return buffer.withLock { $0.err } }
        return ""
    }

    /// Colour only on a terminal and never with `NO_COLOR` set.
    public var usesColor: Bool {
        isTerminal && environment["NO_COLOR"].map(\.isEmpty) ?? true && environment["TERM"] != "dumb"
    }

    func styled(_ text: String, _ style: Style) -> String {
        usesColor ? "\u{1B}[\(style.rawValue)m\(text)\u{1B}[0m" : text
    }

    enum Style: String {
        case red = "31", green = "32", yellow = "33", cyan = "36", bold = "1", dim = "2"
    }
}
