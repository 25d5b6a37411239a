import Foundation
public import LumenStore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The ledger's write-ahead journal: append-only files of one JSON line per row
/// (`<home>/ledger/journal-<first seq>.jsonl`), each append made durable with one fsync for
/// every row it carries. Rows reach agent.db later; a journal left by a crash is replayed at start.
/// Used from one thread at a time (start-up, then the ledger's journal thread), hence unchecked.
final class LedgerJournal: @unchecked Sendable {
    /// A journal file that could not be written or made durable, with the system's reason.
    struct WriteError: Error, CustomStringConvertible {
        var path: String
        var reason: String
        var description: String { "writing \(path) failed: \(reason)" }
    }

    /// One line of the journal.
    struct Line: Codable {
        var seq: Int
        var row: UsageRecord
    }

    let directory: String
    private(set) var path: String
    private var descriptor: Int32
    /// Bytes of whole lines in the current file: the next append starts here.
    private(set) var size: Int = 0
    /// Closed files and the last sequence number each holds, oldest first.
    private(set) var closed: [(path: String, lastSeq: Int)] = []
    /// The last sequence number written to the current file.
    private var lastSeq = 0

    /// Appends `row` as one line, the JSON that `Line` decodes from. Written by hand: Foundation's
    /// JSONEncoder cost more than the rest of the journal's work per row.
    static func encode(seq: Int, row: UsageRecord, into out: inout [UInt8]) {
        func raw(_ text: StaticString) {
            text.withUTF8Buffer { out.append(contentsOf: $0) }
        }
        func string(_ value: String) {
            out.append(UInt8(ascii: "\""))
            for byte in value.utf8 {
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                    out.append(UInt8(ascii: "\\"))
                    out.append(byte)
                case 0..<0x20:
                    let hex = Array("0123456789abcdef".utf8)
                    out.append(contentsOf: Array("\\u00".utf8))
                    out.append(hex[Int(byte >> 4)])
                    out.append(hex[Int(byte & 0xF)])
                default:
                    out.append(byte)
                }
            }
            out.append(UInt8(ascii: "\""))
        }
        func field(_ name: StaticString, _ value: String?) {
            guard let value else { return }
            raw(",\"")
            raw(name)
            raw("\":")
            string(value)
        }
        func number(_ name: StaticString, _ value: Int) {
            raw(",\"")
            raw(name)
            raw("\":")
            out.append(contentsOf: String(value).utf8)
        }
        func number(_ name: StaticString, _ value: Double?) {
            guard let value else { return }
            raw(",\"")
            raw(name)
            raw("\":")
            out.append(contentsOf: (value.isFinite ? value.description : "0").utf8)
        }
        raw("{\"seq\":")
        out.append(contentsOf: String(seq).utf8)
        raw(",\"row\":{\"requestID\":")
        string(row.requestID)
        field("at", row.at)
        field("keyName", row.keyName)
        field("route", row.route)
        field("model", row.model)
        field("upstream", row.upstream)
        number("promptTokens", row.promptTokens)
        number("completionTokens", row.completionTokens)
        number("cachedTokens", row.cachedTokens)
        field("cost", row.cost)
        number("ttftMilliseconds", row.ttftMilliseconds)
        number("durationMilliseconds", row.durationMilliseconds)
        number("status", row.status)
        field("outcome", row.outcome.rawValue)
        number("failovers", row.failovers)
        field("origin", row.origin.rawValue)
        raw("}}\n")
    }

    /// The journal's directory in `home`.
    static func directory(home: String) -> String {
        (home as NSString).appendingPathComponent("ledger")
    }

    /// Journal files in `directory`, oldest first.
    static func files(in directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasPrefix("journal-") && $0.hasSuffix(".jsonl") }
            .sorted { firstSeq($0) < firstSeq($1) }
            .map { (directory as NSString).appendingPathComponent($0) }
    }

    private static func firstSeq(_ name: String) -> Int {
        Int(name.dropFirst("journal-".count).dropLast(".jsonl".count)) ?? 0
    }

    /// Every record the files in `directory` hold, by sequence number; lines that cannot be read
    /// (the torn end of an append a crash cut short, which no client was told was durable) are counted.
    static func read(_ directory: String) -> (records: [Int: UsageRecord], unreadable: Int) {
        var records: [Int: UsageRecord] = [:]
        var unreadable = 0
        let decoder = JSONDecoder()
        for file in files(in: directory) {
            guard let data = FileManager.default.contents(atPath: file) else { continue }
            for line in data.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
                if let decoded = try? decoder.decode(Line.self, from: line) {
                    records[decoded.seq] = decoded.row
                } else {
                    unreadable += 1
                }
            }
        }
        return (records, unreadable)
    }

    /// Opens a new, empty journal file whose first record will be `nextSeq`.
    init(directory: String, nextSeq: Int) throws(WriteError) {
        self.directory = directory
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw WriteError(path: directory, reason: (error as NSError).localizedDescription)
        }
        path = ""
        descriptor = -1
        try open(nextSeq: nextSeq)
    }

    deinit {
        if descriptor >= 0 { _ = close(descriptor) }
    }

    private func open(nextSeq: Int) throws(WriteError) {
        let file = (directory as NSString).appendingPathComponent("journal-\(nextSeq).jsonl")
        let opened = file.withCString { systemOpen($0, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600) }
        guard opened >= 0 else { throw WriteError(path: file, reason: Self.errnoText()) }
        // The new name must survive a crash too.
        try Self.syncDirectory(directory)
        if descriptor >= 0 {
            _ = close(descriptor)
            closed.append((path, lastSeq))
        }
        descriptor = opened
        path = file
        size = 0
    }

    /// Writes `lines` (whole lines, each ending in a newline) and makes them durable. On failure the
    /// file is cut back to its last whole line, so the next append does not follow a torn one.
    func append(_ lines: [UInt8], lastSeq: Int) throws(WriteError) {
        var written = 0
        while written < lines.count {
            let result = lines.withUnsafeBytes { bytes -> Int in
                guard let base = bytes.baseAddress else { return 0 }
                return pwrite(descriptor, base + written, bytes.count - written, off_t(size + written))
            }
            if result < 0 {
                if errno == EINTR { continue }
                let reason = Self.errnoText()
                _ = ftruncate(descriptor, off_t(size))
                throw WriteError(path: path, reason: reason)
            }
            written += result
        }
        #if os(Linux)
        let synced = fdatasync(descriptor)
        #else
        let synced = fsync(descriptor)
        #endif
        guard synced == 0 else {
            let reason = Self.errnoText()
            _ = ftruncate(descriptor, off_t(size))
            throw WriteError(path: path, reason: "fsync: \(reason)")
        }
        size += lines.count
        self.lastSeq = lastSeq
    }

    /// Starts a new file once this one is large, so that files whose rows are all in agent.db can go.
    func rotate(ifLargerThan limit: Int, nextSeq: Int) throws(WriteError) {
        guard size >= limit else { return }
        try open(nextSeq: nextSeq)
    }

    /// Removes closed files whose rows are all in agent.db (up to `storedSeq`).
    func removeStored(upTo storedSeq: Int) {
        while let first = closed.first, first.lastSeq <= storedSeq {
            _ = unlink(first.path)
            closed.removeFirst()
        }
    }

    static func syncDirectory(_ directory: String) throws(WriteError) {
        let descriptor = directory.withCString { systemOpen($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0) }
        guard descriptor >= 0 else { throw WriteError(path: directory, reason: errnoText()) }
        defer { _ = close(descriptor) }
        guard fsync(descriptor) == 0 else { throw WriteError(path: directory, reason: "fsync: \(errnoText())") }
    }

    static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}

private func systemOpen(_ path: UnsafePointer<CChar>, _ flags: Int32, _ mode: mode_t) -> Int32 {
    open(path, flags, mode)
}
