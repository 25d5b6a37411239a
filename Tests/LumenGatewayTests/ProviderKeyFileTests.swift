import Foundation
@testable import LumenGateway
import LumenManifest
import LumenStore
import Testing

/// A provider's `apiKeyFile` is read only from under the agent's secrets folder; anything else is
/// a warning in the compiled state and no key is sent.
@Suite struct ProviderKeyFileTests {
    func state(_ keyFiles: [String: String], secrets: String?) throws -> CompiledState {
        var yaml: [String] = []
        for (name, file) in keyFiles.sorted(by: { $0.key < $1.key }) {
            yaml.append("""
                apiVersion: lumen.ai/v1
                kind: Provider
                metadata: {name: \(name)}
                spec: {baseURL: "https://api.example.com/v1", apiKeyFile: "\(file)"}
                ---
                apiVersion: lumen.ai/v1
                kind: Model
                metadata: {name: m-\(name)}
                spec:
                  provider: \(name)
                  pricing: {inputPerMTok: 1, outputPerMTok: 2}
                  quality: 0.5
                  contextWindow: 8192
                """)
        }
        let manifests = try ManifestParser.parse(yaml.joined(separator: "\n---\n"), file: "p.yaml").map(\.manifest)
        var local = LocalNode()
        local.secretsDirectory = secrets
        return CompiledState(snapshot: Snapshot(revision: 1, createdAt: "2026-12-02T00:00:00Z", manifests: manifests, keys: []), local: local)
    }

    func authorization(_ state: CompiledState, _ provider: String) -> String? {
        state.models["m-\(provider)"]?.upstreams.first?.authorization
    }

    @Test func onlyFilesInsideTheSecretsFolderAreRead() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lumen-keyfile-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let secrets = dir + "/secrets"
        try FileManager.default.createDirectory(atPath: secrets + "/nested", withIntermediateDirectories: true)
        try "sk-good\n".write(toFile: secrets + "/good.key", atomically: true, encoding: .utf8)
        try "sk-nested".write(toFile: secrets + "/nested/n.key", atomically: true, encoding: .utf8)
        try "sk-outside".write(toFile: dir + "/outside.key", atomically: true, encoding: .utf8)
        // A link inside the folder to a file outside it, and one to a file inside.
        try FileManager.default.createSymbolicLink(atPath: secrets + "/escape.key", withDestinationPath: dir + "/outside.key")
        try FileManager.default.createSymbolicLink(atPath: secrets + "/alias.key", withDestinationPath: secrets + "/good.key")
        // A folder whose name starts like the secrets folder's is not inside it.
        try FileManager.default.createDirectory(atPath: dir + "/secrets-other", withIntermediateDirectories: true)
        try "sk-sibling".write(toFile: dir + "/secrets-other/s.key", atomically: true, encoding: .utf8)

        let compiled = try state([
            "good": "good.key", "absolute": secrets + "/good.key", "nested": "nested/n.key", "alias": "alias.key",
            "outside": dir + "/outside.key", "escape": "escape.key", "sibling": dir + "/secrets-other/s.key", "passwd": "/etc/passwd",
        ], secrets: secrets)
        #expect(authorization(compiled, "good") == "Bearer sk-good")
        #expect(authorization(compiled, "absolute") == "Bearer sk-good")
        #expect(authorization(compiled, "nested") == "Bearer sk-nested")
        #expect(authorization(compiled, "alias") == "Bearer sk-good")
        for refused in ["outside", "escape", "sibling", "passwd"] {
            #expect(authorization(compiled, refused) == nil, "\(refused) sent a key")
            let warning = compiled.warnings.first { $0.hasPrefix("provider \(refused) ") }
            #expect(warning?.contains("not under this agent's secrets folder \(secrets)") == true, "\(compiled.warnings)")
            #expect(warning?.contains("no key is sent") == true)
            #expect(compiled.models["m-\(refused)"]?.unavailableReason != nil)
        }
        #expect(!compiled.warnings.joined().contains("sk-"), "a warning shows a key")
        #expect(compiled.warnings.count == 4, "\(compiled.warnings)")
    }

    @Test func withoutASecretsFolderNoFileIsRead() throws {
        let compiled = try state(["p": "/etc/hostname"], secrets: nil)
        #expect(authorization(compiled, "p") == nil)
        #expect(compiled.warnings.first?.contains("this agent has no secrets folder") == true, "\(compiled.warnings)")
    }
}
