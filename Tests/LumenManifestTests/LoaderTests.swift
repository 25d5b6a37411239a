import Foundation
import LumenManifest
import LumenTestSupport
import Testing

/// Bad files get one clear error each; good files in a folder load in a stable order.
@Suite struct LoaderTests {
    func loadErrors(_ paths: [String], stdin: String = "") -> [String] {
        do {
            _ = try ManifestLoader(readStandardInput: { Data(stdin.utf8) }).load(paths: paths)
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    @Test func missingPath() throws {
        #expect(loadErrors(["/nonexistent/lumen.yaml"]) == ["/nonexistent/lumen.yaml: no such file or folder; check the path given to -f"])
    }

    @Test func nonUTF8FileNamesTheBadByte() throws {
        try withTemporaryDirectory { dir in
            let path = (dir as NSString).appendingPathComponent("latin1.yaml")
            var bytes = Data("apiVersion: lumen.ai/v1\nkind: Node\nmetadata: {name: caf".utf8)
            bytes.append(0xE9)
            try bytes.write(to: URL(fileURLWithPath: path))
            #expect(loadErrors([path]) == ["\(path):3:21: the file is not UTF-8 text (bad byte at offset 55); save it as UTF-8"])
        }
    }

    @Test func hugeFileIsRefusedBeforeParsing() throws {
        try withTemporaryDirectory { dir in
            let path = (dir as NSString).appendingPathComponent("huge.yaml")
            let line = Data(String(repeating: "#", count: 1023).utf8 + [0x0A])
            var chunk = Data()
            for _ in 0..<1024 { chunk.append(line) }
            #expect(FileManager.default.createFile(atPath: path, contents: nil))
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            for _ in 0..<50 { handle.write(chunk) }
            try handle.close()
            #expect(loadErrors([path]) == ["\(path): this file is 50.0 MiB; a manifest file may be at most 8 MiB: split it into several files"])
        }
    }

    @Test func duplicateDocumentsAcrossFiles() throws {
        try withTemporaryDirectory { dir in
            let first = try writeFile(dir, "a.yaml", Fixtures.minimal)
            let second = try writeFile(dir, "b.yaml", Fixtures.minimal.components(separatedBy: "---")[0])
            #expect(loadErrors([first, second]) == [
                "\(second):4:9: metadata.name: provider/openai is defined twice (first at \(first):4:9); keep one of them",
            ])
        }
    }

    @Test func foldersLoadSortedAndOnlyRecurseWhenAsked() throws {
        try withTemporaryDirectory { dir in
            let parts = Fixtures.minimal.components(separatedBy: "---\n")
            try writeFile(dir, "b-model.yaml", parts[1])
            try writeFile(dir, "a-provider.yml", parts[0])
            try writeFile(dir, "notes.txt", "not a manifest")
            try writeFile(dir, "sub/route.yaml", parts[2])
            let flat = try ManifestLoader().load(paths: [dir])
            #expect(flat.map(\.manifest.id.description) == ["provider/openai", "model/gpt-4o-mini"])
            let deep = try ManifestLoader(recursive: true).load(paths: [dir])
            #expect(deep.count == 3)
        }
    }

    @Test func standardInput() throws {
        let documents = try ManifestLoader(readStandardInput: { Data(Fixtures.minimal.utf8) }).load(paths: ["-"])
        #expect(documents.count == 3)
        #expect(documents[0].location.file == "<stdin>")
        #expect(loadErrors(["-"], stdin: "kind: [").first?.hasPrefix("<stdin>:2:1: malformed YAML") == true)
    }

    @Test func danglingReferencesPointAtTheReference() throws {
        let yaml = Fixtures.minimal.replacingOccurrences(of: "candidates: [gpt-4o-mini]", with: "candidates: [gpt-4o-mini, gpt-4o-mimi, gpt-9]")
        let documents = try ManifestParser.parse(yaml, file: "r.yaml")
        let state = Dictionary(uniqueKeysWithValues: documents.map { ($0.manifest.id, $0.manifest) })
        #expect(ManifestValidator.danglingReferences(in: state, documents: documents).map(\.description) == [
            #"r.yaml:24:29: spec.candidates[1]: model/gpt-4o-mimi does not exist; did you mean "gpt-4o-mini"?"#,
            "r.yaml:24:42: spec.candidates[2]: model/gpt-9 does not exist; known models: gpt-4o-mini",
        ])
    }

    @Test func symlinkedFoldersAndRepeatedFilesLoadOnce() throws {
        try withTemporaryDirectory { dir in
            let file = try writeFile(dir, "real/all.yaml", Fixtures.minimal)
            try FileManager.default.createSymbolicLink(atPath: dir + "/link", withDestinationPath: dir + "/real")
            #expect(try ManifestLoader().load(paths: [dir + "/link"]).count == 3)
            #expect(try ManifestLoader().load(paths: [file, dir + "/real", dir + "/link/all.yaml"]).count == 3)
        }
    }
}
