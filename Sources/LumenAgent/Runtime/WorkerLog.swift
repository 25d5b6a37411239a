import Foundation

/// A replica's log file: what its guard and engine print, with a line from the agent at each start.
enum WorkerLog {
    /// A log larger than this is emptied at the replica's next start.
    static let limit = 8 * 1024 * 1024

    static func begin(_ path: String, line: String) throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let size = (try? manager.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        if !manager.fileExists(atPath: path) || size > limit {
            guard manager.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw RuntimeFailure("cannot write the replica log \(path); check that the agent's home is writable")
            }
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("--- \(Date().ISO8601Format()) \(line)\n".utf8))
    }

    /// Keeps a running replica's log bounded: past the limit, only its last quarter stays. The
    /// worker appends (O_APPEND), so its next line lands at the new end.
    static func trim(_ path: String) {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard size > limit, let kept = read(path, last: limit / 4), let handle = FileHandle(forWritingAtPath: path) else { return }
        defer { try? handle.close() }
        try? handle.truncate(atOffset: 0)
        try? handle.write(contentsOf: Data("--- \(Date().ISO8601Format()) lumen-agent: log trimmed to its last \(limit / 4 / 1024) KiB\n".utf8) + kept)
    }

    /// The last `count` lines.
    static func tail(_ path: String, lines count: Int) -> String? {
        guard let data = read(path, last: max(64 * 1024, count * 512)) else { return nil }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let kept = lines.suffix(count + (lines.last?.isEmpty == true ? 1 : 0))
        return kept.joined(separator: "\n")
    }

    /// The engine's last line of output (not the guard's or the agent's), shortened.
    static func lastLine(_ path: String) -> String? {
        guard let data = read(path, last: 16 * 1024) else { return nil }
        let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last {
            !$0.hasPrefix("--- ") && !$0.hasPrefix("lumen-agent guard") && !$0.trimmingCharacters(in: .whitespaces).isEmpty
        }
        return line.map { String($0.trimmingCharacters(in: .whitespaces).prefix(240)) }
    }

    /// Bytes from `offset` on (for following a log), and the offset to ask from next.
    static func read(_ path: String, from offset: UInt64) -> (Data, UInt64)? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let end = (try? handle.seekToEnd()) ?? 0
        let start = offset > end ? 0 : offset
        try? handle.seek(toOffset: start)
        let data = ((try? handle.read(upToCount: 1 << 20)) ?? nil) ?? Data()
        return (data, start + UInt64(data.count))
    }

    private static func read(_ path: String, last bytes: Int) -> Data? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let end = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: end > UInt64(bytes) ? end - UInt64(bytes) : 0)
        return (try? handle.readToEnd()) ?? Data()
    }
}

/// A free TCP port on the loopback interface, for a replica to listen on.
enum FreePort {
    static func find() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw RuntimeFailure("cannot open a socket to find a free port (errno \(errno))") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        guard bound else { throw RuntimeFailure("cannot bind a loopback port for a replica (errno \(errno))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Something the runtime could not do for a replica, said so the operator can fix it.
struct RuntimeFailure: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}

enum Executables {
    /// An executable installed next to this one (lumen-engine beside lumen-agent).
    static func sibling(_ name: String) -> String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return ((me as NSString).deletingLastPathComponent as NSString).appendingPathComponent(name)
    }
}
