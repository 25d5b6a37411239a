import Dispatch
import Foundation
import Synchronization

/// Processes `lumenctl up` starts; all stopped together on Ctrl-C, SIGTERM or when one exits.
final class ChildProcesses: Sendable {
    private let children = Mutex<[Process]>([])
    private let stopRequested = DispatchSemaphore(value: 0)
    /// Signal sources live as long as this object; only set up once, before any concurrency.
    nonisolated(unsafe) private var sources: [any DispatchSourceSignal] = []

    struct StartFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// Starts a process and waits for a stdout line matching `pattern`; returns its capture groups.
    func start(_ executable: String, _ arguments: [String], environment: [String: String], waitingFor pattern: String) throws -> [String] {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw StartFailure(description: "\(executable) not found; build it with: swift build --product \((executable as NSString).lastPathComponent)")
        }
        let process = Process()
        let pipe = Pipe()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        process.environment = merged
        process.standardOutput = pipe
        process.standardInput = FileHandle.nullDevice
        process.terminationHandler = { [weak self] _ in self?.stopRequested.signal() }
        try process.run()
        children.withLock { $0.append(process) }
        let regex = try NSRegularExpression(pattern: pattern)
        var buffer = Data()
        let handle = pipe.fileHandleForReading
        while process.isRunning || !buffer.isEmpty {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            let text = String(decoding: buffer, as: UTF8.self)
            if let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) {
                handle.readabilityHandler = { $0.availableData.isEmpty ? ($0.readabilityHandler = nil) : () }
                return (1..<match.numberOfRanges).compactMap { Range(match.range(at: $0), in: text).map { String(text[$0]) } }
            }
        }
        throw StartFailure(description: "\((executable as NSString).lastPathComponent) exited before it was ready; run it by hand to see why: \(executable) \(arguments.joined(separator: " "))")
    }

    func stopOnSignals() {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [weak self] in self?.stopRequested.signal() }
            source.resume()
            sources.append(source)
        }
    }

    /// Blocks until a signal arrives or a child exits.
    func waitForSignalOrExit() {
        stopRequested.wait()
    }

    /// SIGTERM to every child (newest first, so the agent drains before its upstreams go), then SIGKILL.
    func stopAll() {
        let processes = children.withLock { list -> [Process] in
            defer { list.removeAll() }
            return list.reversed()
        }
        for process in processes where process.isRunning {
            process.terminationHandler = nil
            process.terminate()
            let deadline = Date().addingTimeInterval(15)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
    }
}
