import Foundation
import Logging

/// The home and the SQLite files in it hold key hashes, the ledger and the last snapshot: only
/// the user who runs Lumen may read them. The home is 0700 and each database file 0600.
///
/// An existing home that lets group or others in is narrowed to 0700 (logged as a warning), not
/// refused: homes made by earlier versions were 0755. One that cannot be narrowed (another
/// user's folder) is refused.
enum PrivateFiles {
    /// Creates `home` (0700), or narrows an existing one that group or others may enter.
    static func prepareHome(_ home: String, logger: Logger) throws {
        do {
            try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw StoreError.cannotCreateHome(home, (error as NSError).localizedDescription)
        }
        var info = stat()
        guard stat(home, &info) == 0 else { throw StoreError.cannotCreateHome(home, String(cString: strerror(errno))) }
        let mode = info.st_mode & 0o777
        guard mode & 0o077 != 0 else { return }
        guard chmod(home, 0o700) == 0 else {
            throw StoreError.cannotCreateHome(home, "it lets other users in (mode \(String(mode, radix: 8))) and cannot be made private "
                                              + "(\(String(cString: strerror(errno)))); run chmod 700 on it as its owner, or use another folder")
        }
        logger.warning("the Lumen home let other users in; made it private (0700)",
                       metadata: ["home": "\(home)", "mode": "\(String(mode, radix: 8))"])
    }

    /// Creates the database file at `path` (0600) if missing, and narrows it and its `-wal` and
    /// `-shm` when they are wider. SQLite gives the `-wal` and `-shm` files it creates the main
    /// file's mode, so a 0600 main file keeps them 0600 too.
    static func prepareDatabase(_ path: String, logger: Logger) throws {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw StoreError.cannotCreateHome((path as NSString).deletingLastPathComponent, "cannot create \(path): \(String(cString: strerror(errno)))") }
        close(descriptor)
        for file in [path, path + "-wal", path + "-shm"] {
            var info = stat()
            guard stat(file, &info) == 0 else { continue }
            let mode = info.st_mode & 0o777
            guard mode & 0o077 != 0 else { continue }
            if chmod(file, 0o600) == 0 {
                logger.warning("a Lumen database file was readable by other users; made it private (0600)",
                               metadata: ["file": "\(file)", "mode": "\(String(mode, radix: 8))"])
            } else {
                throw StoreError.cannotCreateHome((path as NSString).deletingLastPathComponent,
                                                  "\(file) is readable by other users (mode \(String(mode, radix: 8))) and cannot be made private "
                                                  + "(\(String(cString: strerror(errno)))); run chmod 600 on it as its owner")
            }
        }
    }
}
