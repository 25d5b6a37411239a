import Dispatch
import Foundation
import LumenAPI
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The live view: one round of reads every interval in the background, a frame drawn whenever
/// answers arrive or the window changes, and a quit on `q`, `Q`, Esc, Ctrl-C or SIGTERM that
/// always leaves the terminal as it was found.
struct TopLoop {
    var interval: LumenDuration
    var gatherer: FleetGatherer
    /// The nodes to ask, read again for every round; `nil` when the store is gone.
    var nodes: @Sendable () -> [(name: String, admin: String)]
    var colored: Bool

    /// What wakes the loop besides a key.
    private enum Wake: UInt8 {
        case quit = 0x71, resize = 0x72, answers = 0x61
    }

    func run() throws {
        let wake = try WakePipe()
        var sources: [any DispatchSourceSignal] = []
        // Every signal that would end the process quits through the same path, so the terminal is restored.
        let signals = [(SIGINT, Wake.quit), (SIGTERM, .quit), (SIGQUIT, .quit), (SIGHUP, .quit), (SIGWINCH, .resize)]
        for (signalNumber, reason) in signals {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { wake.send(reason.rawValue) }
            source.resume()
            sources.append(source)
        }
        defer {
            for source in sources { source.cancel() }
            for (signalNumber, _) in signals { signal(signalNumber, SIG_DFL) }
        }

        let screen = TerminalScreen()
        screen.enter()
        defer { screen.restore() }

        let latest = LatestSample()
        let hint = "every \(interval) · q to quit"
        func draw() {
            let size = TerminalScreen.size()
            if let sample = latest.sample {
                screen.draw(TopFrame(sample: sample, width: size?.columns, height: size?.rows, colored: colored, hint: hint).lines())
            } else {
                screen.draw(TopFrame.waiting(nodes: nodes().count, width: size?.columns))
            }
        }
        func startRound() {
            guard latest.beginRound() else { return }
            let gatherer = gatherer, nodes = nodes
            DispatchQueue.global().async {
                latest.finishRound(with: gatherer.gather(nodes()))
                wake.send(Wake.answers.rawValue)
            }
        }

        startRound()
        var nextRound = ContinuousClock.now + interval.duration
        draw()
        while true {
            let wait = max(Duration.zero, nextRound - ContinuousClock.now)
            // Rounded up, so the wait never ends just short of the round and spins.
            let waitMilliseconds = Int32(clamping: wait.components.seconds * 1000 + (wait.components.attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
            var descriptors = [pollfd(fd: wake.readEnd, events: Int16(POLLIN), revents: 0)]
            if screen.readsKeys { descriptors.append(pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)) }
            let ready = poll(&descriptors, nfds_t(descriptors.count), waitMilliseconds)
            if ready < 0 && errno != EINTR { throw CommandFailure("top cannot wait for keys (\(String(cString: strerror(errno)))); run lumenctl top --once instead") }
            var redraw = false
            if ready > 0 {
                if descriptors[0].revents & Int16(POLLIN) != 0 {
                    for byte in wake.drain() {
                        switch Wake(rawValue: byte) {
                        case .quit: return
                        case .resize, .answers: redraw = true
                        case nil: break
                        }
                    }
                }
                if descriptors.count > 1, descriptors[1].revents != 0 {
                    let keys = Self.readKeys()
                    // End of input (the terminal went away) quits too, or the loop would spin.
                    if keys.isEmpty || Self.quits(keys) { return }
                }
            }
            if ContinuousClock.now >= nextRound {
                startRound()
                nextRound = ContinuousClock.now + interval.duration
            }
            if redraw { draw() }
        }
    }

    /// `q`, `Q`, a lone Esc (not the start of an arrow key's sequence), or Ctrl-C should the
    /// terminal hand it over as a byte.
    static func quits(_ keys: [UInt8]) -> Bool {
        keys == [0x1B] || keys.contains { $0 == UInt8(ascii: "q") || $0 == UInt8(ascii: "Q") || $0 == 0x03 }
    }

    private static func readKeys() -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = buffer.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
        if count < 0 { return errno == EINTR || errno == EAGAIN ? [0] : [] }
        return Array(buffer.prefix(count))
    }
}

/// The newest sample and whether a round of reads is under way, shared with the round's worker.
private final class LatestSample: Sendable {
    private let state = Mutex<(sample: FleetSample?, gathering: Bool)>((nil, false))

    var sample: FleetSample? { state.withLock { $0.sample } }

    /// `false` while the last round is still out: never more than one round at a time.
    func beginRound() -> Bool {
        state.withLock { state in
            if state.gathering { return false }
            state.gathering = true
            return true
        }
    }

    func finishRound(with sample: FleetSample) {
        state.withLock { $0 = (sample, false) }
    }
}

/// A pipe that signal handlers and workers write a byte to, so one `poll` waits for keys and
/// everything else at once.
private final class WakePipe: Sendable {
    let readEnd: Int32
    private let writeEnd: Int32

    init() throws {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw CommandFailure("top cannot create a pipe (\(String(cString: strerror(errno)))); run lumenctl top --once instead") }
        readEnd = ends[0]
        writeEnd = ends[1]
        _ = fcntl(readEnd, F_SETFL, fcntl(readEnd, F_GETFL) | O_NONBLOCK)
    }

    deinit {
        close(readEnd)
        close(writeEnd)
    }

    func send(_ byte: UInt8) {
        var byte = byte
        _ = write(writeEnd, &byte, 1)
    }

    func drain() -> [UInt8] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
            if count <= 0 { return bytes }
            bytes += buffer.prefix(count)
        }
    }
}
