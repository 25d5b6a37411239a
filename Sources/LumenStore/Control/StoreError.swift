/// Failures of the control store, each saying what the user can do about it.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    private enum Code: Sendable {
        case busy
        case notADatabase
        case newerSchema
        case unknownRevision
        case notFound
        case cannotCreateHome
        case io
        case conflict
    }

    private let code: Code
    public let description: String

    private init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }

    public var isBusy: Bool { code == .busy }
    public var isNotFound: Bool { code == .notFound }

    static func busy(_ path: String) -> StoreError {
        StoreError(.busy, "the control store \(path) is busy: another lumenctl is writing to it; try again in a moment")
    }

    static func notADatabase(_ path: String) -> StoreError {
        StoreError(.notADatabase, "\(path) is not a Lumen control store (not an SQLite database); move it aside or use --home to pick another folder")
    }

    static func newerSchema(_ path: String) -> StoreError {
        StoreError(.newerSchema, "\(path) was written by a newer lumenctl; upgrade lumenctl to use it")
    }

    static func unknownRevision(_ revision: Int, latest: Int?) -> StoreError {
        let hint = latest.map { "revisions run from 1 to \($0); see lumenctl history" } ?? "nothing has been applied yet"
        return StoreError(.unknownRevision, "revision \(revision) does not exist; \(hint)")
    }

    static func notFound(_ what: String) -> StoreError {
        StoreError(.notFound, "\(what) not found; list what exists with lumenctl get")
    }

    static func cannotCreateHome(_ path: String, _ reason: String) -> StoreError {
        StoreError(.cannotCreateHome, "cannot create the Lumen home \(path): \(reason); set LUMEN_HOME or --home to a writable folder")
    }

    static func conflict(_ message: String) -> StoreError {
        StoreError(.conflict, message)
    }

    static func io(_ path: String, _ reason: String) -> StoreError {
        StoreError(.io, "the control store \(path) failed: \(reason)")
    }
}
