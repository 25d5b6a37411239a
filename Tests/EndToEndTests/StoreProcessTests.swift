import Foundation
import LumenManifest
import LumenStore
import LumenTestSupport
import Testing

/// Real `lumenctl` processes against one home: concurrency, SIGKILL, and the file's integrity.
@Suite(.serialized) struct StoreProcessTests {
    @Test func twoConcurrentAppliesBothLandOrOneIsBusy() throws {
        try withTemporaryDirectory { dir in
            let home = dir + "/home"
            var landed = 0
            for round in 0..<3 {
                // Every round changes both sets, so both processes have a transaction to write.
                let large = try writeFile(dir, "large\(round).yaml", Fixtures.largeManifestSet(routes: 300, models: 60, revision: round))
                let small = try writeFile(dir, "small\(round).yaml",
                                          Fixtures.minimal.replacingOccurrences(of: "qualityBar: 0.3", with: "qualityBar: 0.\(round + 4)"))
                let a = try LumenctlProcess(["apply", "-f", round.isMultiple(of: 2) ? large : small], home: home, scratch: dir)
                let b = try LumenctlProcess(["apply", "-f", round.isMultiple(of: 2) ? small : large], home: home, scratch: dir)
                try a.start()
                try b.start()
                let results = [a.wait(), b.wait()]
                for result in results {
                    if result.exitCode == 0 {
                        landed += 1
                        #expect(result.output.contains("Applied revision"), "\(result)")
                    } else {
                        #expect(result.exitCode == 1)
                        #expect(result.error.contains("is busy: another lumenctl is writing to it"), "\(result)")
                    }
                }
                #expect(results.contains { $0.exitCode == 0 })
            }
            let store = try ControlStore(home: home)
            #expect(try store.integrityCheck() == "ok")
            #expect(try store.objects().count == 1 + 60 + 300 + 3)
            #expect(try store.revisions().count == landed)
        }
    }

    @Test func twoAppliesRacingToCreateANewStore() throws {
        try withTemporaryDirectory { dir in
            let large = try writeFile(dir, "large.yaml", Fixtures.largeManifestSet(routes: 50, models: 10))
            let small = try writeFile(dir, "small.yaml", Fixtures.minimal)
            for round in 0..<8 {
                let home = dir + "/home\(round)"
                let children = try [large, small].map { try LumenctlProcess(["apply", "-f", $0], home: home, scratch: dir) }
                for child in children { try child.start() }
                let results = children.map { $0.wait() }
                for result in results where result.exitCode != 0 {
                    #expect(result.error.contains("is busy: another lumenctl is writing to it"), "round \(round): \(result)")
                }
                let store = try ControlStore(home: home)
                #expect(try store.integrityCheck() == "ok")
                #expect(try store.revisions().count == results.filter { $0.exitCode == 0 }.count)
            }
        }
    }

    @Test func sigkillDuringApplyLeavesOldOrNewRevision() throws {
        try withTemporaryDirectory { dir in
            let home = dir + "/home"
            let sets = (0..<2).map { Fixtures.largeManifestSet(routes: 1000, models: 200, revision: $0) }
            let files = try sets.enumerated().map { try writeFile(dir, "set\($0.offset).yaml", $0.element) }
            let started = Date()
            let baseline = try LumenctlProcess.run(["apply", "-f", files[0]], home: home, scratch: dir)
            #expect(baseline.exitCode == 0, "\(baseline)")
            // Kill points spread over a whole apply's lifetime: parsing, validating and the write transaction.
            let lifetime = UInt32(max(0.05, Date().timeIntervalSince(started)) * 1_000_000)
            let expected = try sets.map { set in
                try ManifestParser.parse(set, file: "x").map(\.manifest.canonicalJSON).sorted()
            }
            var generator = SystemRandomNumberGenerator()
            var killed = 0
            var current = 0
            for attempt in 0..<24 {
                // Always apply the set the store does not hold, so every attempt has a write phase to interrupt.
                let child = try LumenctlProcess(["apply", "-f", files[1 - current]], home: home, scratch: dir)
                try child.start()
                usleep(UInt32.random(in: 0...lifetime, using: &generator))
                child.kill()
                if child.wait().exitCode != 0 { killed += 1 }

                let store = try ControlStore(home: home)
                #expect(try store.integrityCheck() == "ok")
                let live = try store.objects().map(\.body).sorted()
                #expect(live == expected[0] || live == expected[1], "attempt \(attempt): a partial state")
                current = live == expected[1] ? 1 : 0
            }
            #expect(killed > 0, "no apply was killed mid-way; the test proved nothing")
        }
    }
}
