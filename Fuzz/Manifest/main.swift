// libFuzzer target for the manifest reader: bytes (as a file's content) become manifests or
// diagnostics, never a crash. An accepted manifest must read back equal from its canonical YAML
// (what `get -o yaml` prints) and from its canonical JSON (what the store keeps).
import Foundation
import LumenManifest

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzManifest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 ? Data() : Data(bytes: UnsafeRawPointer(data!), count: size)
    let documents: [LocatedManifest]
    do {
        documents = try ManifestLoader.parse(.init(name: "fuzz.yaml", bytes: bytes))
    } catch {
        guard !error.diagnostics.isEmpty else { fatalError("refused without a diagnostic") }
        return 0
    }
    _ = ManifestValidator.duplicates(in: documents)
    for document in documents {
        let manifest = document.manifest
        let yaml = manifest.canonicalYAML
        do {
            let again = try ManifestParser.parse(yaml, file: "canonical.yaml")
            guard again.count == 1, again[0].manifest == manifest else {
                fatalError("canonical YAML reads back differently:\n\(yaml)\n\(again.map(\.manifest)) vs \(manifest)")
            }
        } catch {
            fatalError("canonical YAML is refused: \(error.diagnostics.map(\.description))\n\(yaml)")
        }
        do {
            guard try Manifest(canonicalJSON: manifest.canonicalJSON) == manifest else {
                fatalError("canonical JSON reads back differently: \(manifest.canonicalJSON)")
            }
        } catch {
            fatalError("canonical JSON is refused: \(error)\n\(manifest.canonicalJSON)")
        }
    }
    return 0
}
