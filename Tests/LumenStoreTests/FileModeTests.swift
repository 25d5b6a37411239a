import Foundation
import LumenManifest
import LumenStore
import LumenTestSupport
import Testing

/// The home is 0700 and the SQLite files in it 0600, also when an older home was made wider.
@Suite struct FileModeTests {
    func mode(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int).map { $0 & 0o777 }
    }

    /// The database file and whichever of its -wal and -shm exist.
    func databaseFiles(_ path: String) -> [String] {
        [path, path + "-wal", path + "-shm"].filter { FileManager.default.fileExists(atPath: $0) }
    }

    @Test func aNewHomeIsPrivateAndSoAreItsDatabases() throws {
        try withTemporaryDirectory { dir in
            let home = dir + "/new/home"
            let control = try ControlStore(home: home)
            _ = try control.apply(try ManifestParser.parse(Fixtures.minimal, file: "a.yaml"), source: "a.yaml")
            let agent = try AgentStore(home: home)
            #expect(mode(home) == 0o700)
            let files = databaseFiles(control.path) + databaseFiles(agent.path)
            #expect(files.count >= 4, "\(files)")
            for file in files { #expect(mode(file) == 0o600, "\(file) is \(String(mode(file) ?? 0, radix: 8))") }
        }
    }

    @Test func anExistingHomeThatLetsOthersInIsMadePrivate() throws {
        try withTemporaryDirectory { dir in
            let home = dir + "/home"
            do {
                let control = try ControlStore(home: home)
                let agent = try AgentStore(home: home)
                _ = (control, agent)
            }
            // As an older version left them.
            chmod(home, 0o755)
            for file in databaseFiles(home + "/control.db") + databaseFiles(home + "/agent.db") { chmod(file, 0o644) }
            let control = try ControlStore(home: home)
            let agent = try AgentStore(home: home)
            #expect(mode(home) == 0o700)
            for file in databaseFiles(control.path) + databaseFiles(agent.path) {
                #expect(mode(file) == 0o600, "\(file) is \(String(mode(file) ?? 0, radix: 8))")
            }
        }
    }
}
