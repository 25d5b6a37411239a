import Foundation
import LumenTestSupport
import Testing

/// `lumenctl` run in-process against a temporary home: output formats and exit codes.
@Suite struct CommandTests {
    @Test func applyGetDescribeAndFormats() throws {
        try withTemporaryDirectory { home in
            let file = try writeFile(home, "m.yaml", Fixtures.minimal)
            let apply = lumenctl(["apply", "-f", file], home: home)
            #expect(apply.exitCode == 0, "\(apply)")
            #expect(apply.output == """
                provider/openai created
                model/gpt-4o-mini created
                route/auto created
                Applied revision 1: 3 created.

                """)

            let table = lumenctl(["get", "routes"], home: home)
            #expect(table.output == """
                NAME  STRATEGY            CANDIDATES   QUALITY BAR  MAX $/REQ  REVISION
                auto  cheapest-qualified  gpt-4o-mini  0.3          -          1

                """)
            #expect(lumenctl(["get", "rt"], home: home).output == table.output)
            #expect(lumenctl(["get", "Route"], home: home).output == table.output)
            #expect(lumenctl(["get", "route", "-o", "wide"], home: home).output.contains("RETENTION"))

            let json = lumenctl(["get", "models", "-o", "json"], home: home)
            let list = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any]
            #expect(list?["kind"] as? String == "List")
            let items = try #require(list?["items"] as? [[String: Any]])
            #expect((items.first?["metadata"] as? [String: Any])?["name"] as? String == "gpt-4o-mini")

            let yaml = lumenctl(["get", "model", "gpt-4o-mini", "-o", "yaml"], home: home)
            #expect(yaml.output.hasPrefix("apiVersion: lumen.ai/v1\nkind: Model\nmetadata:\n  name: gpt-4o-mini\nspec:\n  provider: openai\n  upstreamModel: gpt-4o-mini\n"))
            // What get -o yaml prints applies back unchanged.
            let echo = lumenctl(["apply", "-f", "-"], home: home, stdin: yaml.output)
            #expect(echo.output == "model/gpt-4o-mini unchanged\nNo changes; the store stays at revision 1.\n")

            let describe = lumenctl(["describe", "model", "gpt-4o-mini"], home: home)
            #expect(describe.exitCode == 0)
            #expect(describe.output.contains("Refers to:  provider/openai"))
            #expect(describe.output.contains("Used by:    route/auto"))
            #expect(describe.output.contains("contextWindow: 128000"))

            let all = lumenctl(["get", "all"], home: home)
            #expect(all.output.contains("provider/openai") && all.output.contains("route/auto"))
        }
    }

    @Test func exitCodesForFailureAndUsage() throws {
        try withTemporaryDirectory { home in
            let missing = lumenctl(["get", "route", "nope"], home: home)
            #expect(missing.exitCode == 1)
            #expect(missing.error == "Error: route/nope not found; list what exists with: lumenctl get routes\n")

            let unknownKind = lumenctl(["get", "widgets"], home: home)
            #expect(unknownKind.exitCode == 64)
            #expect(unknownKind.error.contains("Unknown kind 'widgets'"))

            #expect(lumenctl(["apply"], home: home).exitCode == 64)
            #expect(lumenctl(["frobnicate"], home: home).exitCode == 64)
            #expect(lumenctl(["rollback", "0"], home: home).exitCode == 64)
            #expect(lumenctl(["delete", "route"], home: home).exitCode == 64)

            let badFile = lumenctl(["apply", "-f", home + "/none.yaml"], home: home)
            #expect(badFile.exitCode == 1)
            #expect(badFile.error == "Error: 1 error; nothing was changed:\n  \(home)/none.yaml: no such file or folder; check the path given to -f\n")
            #expect(!FileManager.default.fileExists(atPath: home + "/control.db"))

            let help = lumenctl(["--help"], home: home)
            #expect(help.exitCode == 0 && help.output.contains("SUBCOMMANDS"))
        }
    }

    @Test func badInputChangesNothing() throws {
        try withTemporaryDirectory { home in
            let good = try writeFile(home, "good.yaml", Fixtures.minimal)
            #expect(lumenctl(["apply", "-f", good], home: home).exitCode == 0)
            let before = lumenctl(["get", "all", "-o", "json"], home: home).output
            let inputs: [String: String] = [
                "malformed.yaml": "apiVersion: lumen.ai/v1\nkind: Route\nspec: {candidates: [a\n",
                "tabs.yaml": "apiVersion: lumen.ai/v1\nkind: Node\nmetadata:\n\tname: a\n",
                "empty.yaml": "",
                "kind.yaml": "apiVersion: lumen.ai/v1\nkind: Gateway\nmetadata: {name: a}\nspec: {}\n",
                "version.yaml": Fixtures.minimal.replacingOccurrences(of: "lumen.ai/v1", with: "lumen.ai/v0"),
                "dangling.yaml": Fixtures.minimal.components(separatedBy: "---\n")[2]
                    .replacingOccurrences(of: "[gpt-4o-mini]", with: "[gpt-5]"),
                "duplicate.yaml": Fixtures.minimal + "---\n" + Fixtures.minimal.components(separatedBy: "---\n")[2],
            ]
            for (name, text) in inputs.sorted(by: { $0.key < $1.key }) {
                let path = try writeFile(home, name, text)
                let result = lumenctl(["apply", "-f", path], home: home)
                #expect(result.exitCode == 1, "\(name): \(result)")
                #expect(result.error.hasPrefix("Error: "), "\(name): \(result.error)")
                #expect(result.error.contains("nothing was changed:\n  \(path)"), "\(name): \(result.error)")
                #expect(result.output.isEmpty)
            }
            var latin1 = Data("apiVersion: lumen.ai/v1\nkind: Node\nmetadata: {name: caf".utf8)
            latin1.append(0xE9)
            try latin1.write(to: URL(fileURLWithPath: home + "/latin1.yaml"))
            #expect(lumenctl(["apply", "-f", home + "/latin1.yaml"], home: home).error.contains("not UTF-8"))
            let huge = home + "/huge.yaml"
            #expect(FileManager.default.createFile(atPath: huge, contents: nil))
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: huge))
            try handle.truncate(atOffset: 50 * 1024 * 1024)
            try handle.close()
            #expect(lumenctl(["apply", "-f", huge], home: home).error
                == "Error: 1 error; nothing was changed:\n  \(huge): this file is 50.0 MiB; a manifest file may be at most 8 MiB: split it into several files\n")
            let hugeStdin = lumenctl(["apply", "-f", "-"], home: home, stdin: String(repeating: "# padding\n", count: 900_000))
            #expect(hugeStdin.error.contains("<stdin>: this file is too large; a manifest file may be at most 8 MiB"))
            #expect(lumenctl(["get", "all", "-o", "json"], home: home).output == before)
            #expect(lumenctl(["history", "-o", "json"], home: home).output.contains("\"revision\": 1"))
            #expect(!lumenctl(["history", "-o", "json"], home: home).output.contains("\"revision\": 2"))
        }
    }

    @Test func diffShowsUnifiedChangesAndColoursOnlyOnATerminal() throws {
        try withTemporaryDirectory { home in
            let file = try writeFile(home, "m.yaml", Fixtures.minimal)
            _ = lumenctl(["apply", "-f", file], home: home)
            let changed = try writeFile(home, "c.yaml", Fixtures.minimal.replacingOccurrences(of: "qualityBar: 0.3", with: "qualityBar: 0.5"))
            let diff = lumenctl(["diff", "-f", changed], home: home)
            #expect(diff.exitCode == 0)
            #expect(diff.output == """
                --- route/auto (stored)
                +++ route/auto (\(changed))
                @@ -6,7 +6,7 @@
                   candidates:
                   - gpt-4o-mini
                   strategy: cheapest-qualified
                -  qualityBar: 0.3
                +  qualityBar: 0.5
                   onNoCandidate: best-effort
                   failover:
                     maxAttempts: 3

                """)
            #expect(lumenctl(["diff", "-f", changed, "--exit-code"], home: home).exitCode == 2)
            let same = lumenctl(["diff", "-f", file, "--exit-code"], home: home)
            #expect(same.exitCode == 0 && same.output.isEmpty)
            #expect(same.error.hasPrefix("No differences: the store already matches"))
            let coloured = lumenctl(["diff", "-f", changed], home: home, terminal: true)
            #expect(coloured.output.contains("\u{1B}[31m-  qualityBar: 0.3"))
            let noColor = lumenctl(["diff", "-f", changed], home: home, terminal: true, environment: ["NO_COLOR": "1"])
            #expect(noColor.output == diff.output)
        }
    }

    @Test func deleteHistoryAndRollback() throws {
        try withTemporaryDirectory { home in
            let file = try writeFile(home, "m.yaml", Fixtures.minimal)
            _ = lumenctl(["apply", "-f", file], home: home)
            let refused = lumenctl(["delete", "provider", "openai"], home: home)
            #expect(refused.exitCode == 1)
            #expect(refused.error == "Error: 1 error; nothing was changed:\n  cannot delete provider/openai: model/gpt-4o-mini refers to it (spec.provider); delete model/gpt-4o-mini in the same step or change it first\n")

            let dry = lumenctl(["delete", "-f", file, "--dry-run"], home: home)
            #expect(dry.output.hasSuffix("Dry run against revision 1: 3 deleted; nothing was written.\n"))
            let deleted = lumenctl(["delete", "-f", file], home: home)
            #expect(deleted.output.hasSuffix("Deleted in revision 2: 3 deleted.\n"), "\(deleted)")
            #expect(lumenctl(["get", "routes"], home: home).error.hasPrefix("No routes found"))

            let history = lumenctl(["history"], home: home)
            #expect(history.output.split(separator: "\n").count == 3)
            #expect(history.output.contains("delete") && history.output.contains("+3 ~0 -0"))
            let objectHistory = lumenctl(["history", "route", "auto"], home: home)
            #expect(objectHistory.output.contains("created") && objectHistory.output.contains("deleted"))

            let rollback = lumenctl(["rollback", "1"], home: home)
            #expect(rollback.exitCode == 0)
            #expect(rollback.output.hasSuffix("Rolled back to revision 1 as revision 3: 3 created.\n"))
            #expect(lumenctl(["get", "route", "auto"], home: home).exitCode == 0)
            let unknown = lumenctl(["rollback", "42"], home: home)
            #expect(unknown.error == "Error: revision 42 does not exist; revisions run from 1 to 3; see lumenctl history\n")
        }
    }

    @Test func previewsNeverCreateAStore() throws {
        try withTemporaryDirectory { home in
            let file = try writeFile(home, "m.yaml", Fixtures.minimal)
            let dry = lumenctl(["apply", "-f", file, "--dry-run"], home: home)
            #expect(dry.output.hasSuffix("Dry run against an empty store: 3 created; nothing was written.\n"), "\(dry)")
            #expect(lumenctl(["diff", "-f", file], home: home).output.contains("+++ route/auto"))
            let rollback = lumenctl(["rollback", "1"], home: home)
            #expect(rollback.exitCode == 1)
            #expect(rollback.error == "Error: nothing has been applied in \(home) yet; apply manifests first with lumenctl apply -f PATH\n")
            #expect(!FileManager.default.fileExists(atPath: home + "/control.db"))
        }
    }

    @Test func describeAsJSON() throws {
        try withTemporaryDirectory { home in
            let file = try writeFile(home, "m.yaml", Fixtures.minimal)
            _ = lumenctl(["apply", "-f", file], home: home)
            let result = lumenctl(["describe", "provider", "openai", "-o", "json"], home: home)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
            #expect(object["usedBy"] as? [String] == ["model/gpt-4o-mini"])
            #expect(object["refersTo"] as? [String] == [])
            #expect(object["revision"] as? Int == 1)
            #expect((object["history"] as? [[String: Any]])?.first?["change"] as? String == "created")
        }
    }

    @Test func routeExplainShowsTheScoreItsFeaturesAndEveryCandidate() throws {
        try withTemporaryDirectory { home in
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            _ = lumenctl(["apply", "-f", root.appendingPathComponent("manifests/quickstart/lumen.yaml").path], home: home)
            let easy = lumenctl(["route", "explain", "auto", "What is the capital of France?"], home: home)
            #expect(easy.exitCode == 0 && easy.output.contains("questions") && easy.output.contains("sim-small  0.50"), "\(easy)")
            #expect(easy.output.split(separator: "\n").contains { $0.hasPrefix("sim-small") && $0.hasSuffix("chosen") }, "\(easy)")
            let hard = lumenctl(["route", "explain", "lumen/auto", "-o", "json",
                                 "Prove that sqrt(2) is irrational step by step, then implement a Python function that must check it."], home: home)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(hard.output.utf8)) as? [String: Any], "\(hard)")
            #expect((object["order"] as? [String])?.first == "sim-large")
            #expect((object["score"] as? Double ?? 0) > 0.5 && (object["contributions"] as? [String: Double])?["math"] != nil)
            let verdicts = (object["candidates"] as? [[String: Any]])?.compactMap { $0["verdict"] as? String } ?? []
            #expect(verdicts.last?.hasPrefix("chosen") == true && verdicts.first?.hasPrefix("chosen") == false, "\(verdicts)")
            // A whole request from a file: max_tokens over every model's limit rules them all out.
            let request = try writeFile(home, "request.json", #"{"messages":[{"role":"user","content":"hi"}],"max_tokens":1000000}"#)
            let refused = lumenctl(["route", "explain", "auto", "-f", request], home: home)
            #expect(refused.exitCode == 1 && refused.output.contains("Refused") && refused.output.contains("context window"), "\(refused)")
            #expect(lumenctl(["route", "explain", "nope", "x"], home: home).error.contains("the routes are: auto"))
            // Until an agent has observed a model, its manifest's latency is what the SLO is checked against.
            let priors = try writeFile(home, "priors.yaml", """
                apiVersion: lumen.ai/v1
                kind: Model
                metadata: {name: sluggish}
                spec: {deployment: {endpoints: ["http://127.0.0.1:9/v1"]}, pricing: {inputPerMTok: 0.01, outputPerMTok: 0.01},
                       quality: 0.9, contextWindow: 8192, maxOutputTokens: 1024, latency: {ttftP95: 900ms, tokensPerSecond: 20}}
                ---
                apiVersion: lumen.ai/v1
                kind: Route
                metadata: {name: snappy}
                spec: {candidates: [sluggish, sim-large], slo: {ttftP95: 500ms}}
                """)
            // Stored; the quickstart's Node runs no agent here, so the push misses it (exit 1).
            let appliedPriors = lumenctl(["apply", "-f", priors], home: home)
            #expect(appliedPriors.exitCode == 1 && appliedPriors.output.contains("Applied revision 2")
                    && appliedPriors.error.contains("node/local did not get it"), "\(appliedPriors)")
            let snappy = lumenctl(["route", "explain", "snappy", "hello"], home: home)
            #expect(snappy.output.contains("TTFT p95 900 ms misses the SLO of 500 ms") && snappy.output.contains("900 ms"), "\(snappy)")
            #expect(lumenctl(["route", "explain", "auto"], home: home).exitCode == 64)
        }
    }

    @Test func scorerFitWritesARouteManifestAndEvaluateMeasuresIt() throws {
        try withTemporaryDirectory { home in
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            _ = lumenctl(["apply", "-f", root.appendingPathComponent("manifests/quickstart/lumen.yaml").path], home: home)
            let labelled = root.appendingPathComponent("Benchmarks/routing/labeled.jsonl").path
            let block = lumenctl(["scorer", "fit", "-f", labelled], home: home)
            #expect(block.exitCode == 0 && block.output.hasPrefix("scorer:") && block.output.contains("math:") && block.error.contains("AUC"), "\(block)")
            let fitted = lumenctl(["scorer", "fit", "-f", labelled, "--route", "auto"], home: home)
            #expect(fitted.output.contains("kind: Route") && fitted.output.contains("scorer:"), "\(fitted)")
            let file = try writeFile(home, "fitted.yaml", fitted.output)
            // Stored; the quickstart's Node runs no agent here, so the push misses it (exit 1).
            let applied = lumenctl(["apply", "-f", file], home: home)
            #expect(applied.exitCode == 1 && applied.output.contains("Applied revision 2") && applied.error.contains("node/local did not get it"), "\(applied)")
            let measured = lumenctl(["scorer", "evaluate", "-f", labelled, "--route", "auto", "-o", "json"], home: home)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(measured.output.utf8)) as? [String: Any], "\(measured)")
            #expect((object["auc"] as? Double ?? 0) > 0.85 && (object["hardCleared"] as? Double ?? 0) >= 0.95, "\(object)")
            #expect(object["prompts"] as? Int == 200)
            let bad = try writeFile(home, "bad.jsonl", #"{"prompt":"x","hard":true}"# + "\n" + #"{"prompt":"y","hard":"yes"}"#)
            let refused = lumenctl(["scorer", "fit", "-f", bad], home: home)
            #expect(refused.exitCode == 1 && refused.error.contains("bad.jsonl:2") && refused.error.contains("true or false"), "\(refused)")
        }
    }

    @Test func validateChecksWithoutWriting() throws {
        try withTemporaryDirectory { home in
            let file = try writeFile(home, "m.yaml", Fixtures.minimal)
            let result = lumenctl(["validate", "-f", file], home: home)
            #expect(result.output == "Valid: 3 manifests (1 provider, 1 model, 1 route).\n")
            #expect(!FileManager.default.fileExists(atPath: home + "/control.db"))
        }
    }

    @Test func theShippedManifestsAreValid() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        try withTemporaryDirectory { home in
            for folder in ["manifests", "manifests/quickstart"] {
                let result = lumenctl(["validate", "-f", root.appendingPathComponent(folder).path], home: home)
                #expect(result.exitCode == 0, "\(folder): \(result)")
            }
        }
    }
}
