import ArgumentParser
import Foundation
import LumenAPI
import LumenManifest
import LumenStore

/// `lumenctl shadow`: shadow tests from the operator's side.
struct Shadow: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Follow shadow tests, compare a candidate with the route's model, promote it or stop a test.",
        discussion: "A ShadowTest mirrors a share of a route's live requests to a candidate model in the dark; each agent records both answers' latency, tokens, cost and agreement.",
        subcommands: [List.self, Status.self, Report.self, Promote.self, Stop.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List shadow tests with their pairs so far and whether they still run.")

        @Option(name: .shortAndLong, help: "Output format: table or json.")
        var output: OutputFormat = .table
        @OptionGroup var home: HomeOptions

        func run() throws {
            let console = Console.current
            guard let store = try home.existingStore(), let snapshot = try store.snapshot() else { throw CommandFailure.emptyStore(home.path) }
            let tests = snapshot.manifests.filter { $0.kind == .shadowTest }.map(\.name).sorted()
            if tests.isEmpty {
                console.writeError("No shadow tests in \(home.path); apply a ShadowTest manifest to start one.\n")
                return
            }
            var rows: [JSONValue] = []
            var table = Table(headers: ["NAME", "ROUTE", "CANDIDATE", "SAMPLE", "PAIRS", "MAX/AGENT", "UNTIL", "STATE"])
            var failed = false
            for name in tests {
                let fleet = try ShadowFleet(name, home: home)
                let progress = try fleet.progress()
                let pairs = progress.reduce(0) { $0 + $1.pairs }
                let unreachable = progress.filter { $0.error != nil }
                failed = failed || !unreachable.isEmpty
                let state = fleet.isRunning(progress) ? "running" : (unreachable.count == progress.count ? "unknown" : "done")
                table.rows.append([name, fleet.spec.route, fleet.spec.candidate, String(format: "%g%%", fleet.spec.sampleRate * 100),
                                   unreachable.isEmpty ? String(pairs) : "\(pairs)+?", fleet.spec.maxRequests.map(String.init) ?? "-",
                                   fleet.spec.until ?? "-", state])
                rows.append(.map([
                    .init("name", .string(name)), .init("route", .string(fleet.spec.route)), .init("candidate", .string(fleet.spec.candidate)),
                    .init("sampleRate", .number(String(fleet.spec.sampleRate))), .init("pairs", .number(String(pairs))),
                    .init("state", .string(state)), .init("unreachable", .list(unreachable.map { .string($0.node) })),
                ]))
                for node in unreachable { console.writeError("node/\(node.node): \(node.error ?? ""); its pairs are not counted\n") }
            }
            console.write(output == .json || output == .yaml ? JSONValue.list(rows).json() + "\n" : table.render())
            if failed { throw ExitCode(1) }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a shadow test's progress: pairs per node, agreement and the candidate's errors so far.",
            discussion: "With --watch the view refreshes until the test is done; Ctrl-C leaves it.")

        @Argument(help: ArgumentHelp("The shadow test.", valueName: "name"))
        var name: String
        @Flag(name: .shortAndLong, help: "Refresh until the test is done.")
        var watch = false
        @Option(help: ArgumentHelp("Time between refreshes with --watch, e.g. 2s.", valueName: "duration"))
        var interval: String = "2s"
        @OptionGroup var home: HomeOptions

        func validate() throws {
            guard let every = LumenDuration(parsing: interval), every.duration >= .milliseconds(100) else {
                throw ValidationError("--interval must be a duration of at least 100ms, such as 2s.")
            }
        }

        func run() throws {
            let console = Console.current
            let fleet = try ShadowFleet(name, home: home)
            let every = LumenDuration(parsing: interval)?.duration ?? .seconds(2)
            while true {
                let progress = try fleet.progress()
                let running = fleet.isRunning(progress)
                let (pairs, _) = try fleet.pairs()
                let frame = Self.frame(fleet, progress: progress, pairs: pairs, running: running)
                if watch && console.isTerminal { console.write("\u{1B}[H\u{1B}[2J") }
                console.write(frame)
                guard watch, running else { break }
                Thread.sleep(forTimeInterval: Double(every.components.seconds) + Double(every.components.attoseconds) / 1e18)
                if !console.isTerminal { console.write("\n") }
            }
        }

        static func frame(_ fleet: ShadowFleet, progress: [ShadowFleet.NodeProgress], pairs: [ShadowPair], running: Bool) -> String {
            let spec = fleet.spec
            let total = progress.reduce(0) { $0 + $1.pairs }
            var text = "shadowtest/\(fleet.name): route \(spec.route) → candidate \(spec.candidate), sampling \(String(format: "%g%%", spec.sampleRate * 100))\n"
            text += "state:     \(running ? "running" : fleet.endReason())\n"
            var limits: [String] = []
            if let max = spec.maxRequests { limits.append("\(max) pairs per agent") }
            if let until = spec.until { limits.append("until \(until)") }
            text += "pairs:     \(total)" + (limits.isEmpty ? "" : " (\(limits.joined(separator: ", ")))") + "\n"
            for node in progress {
                if let error = node.error {
                    text += "  node/\(node.node): \(error)\n"
                    continue
                }
                let bar = spec.maxRequests.map { " " + Self.bar(Double(node.taken) / Double(max(1, $0)), width: 24) } ?? ""
                text += "  node/\(node.node): \(node.pairs) recorded, \(node.taken - node.pairs) in flight\(bar)\n"
            }
            guard !pairs.isEmpty else { return text + "No pairs yet: send traffic to route \(spec.route).\n" }
            let agreement = pairs.map(\.measures.agreement).reduce(0, +) / Double(pairs.count)
            let candidateErrors = pairs.filter(\.candidate.failed).count
            let exact = pairs.filter(\.measures.exactMatch).count
            text += String(format: "agreement: %.3f mean (minAgreement %.2f), %d of %d exact matches\n",
                           agreement, spec.thresholds.minAgreement, exact, pairs.count)
            text += String(format: "errors:    candidate %d of %d (%.1f%%), primary %d\n", candidateErrors, pairs.count,
                           100 * Double(candidateErrors) / Double(pairs.count), pairs.filter(\.primary.failed).count)
            text += "Full comparison: lumenctl shadow report \(fleet.name)\n"
            return text
        }

        static func bar(_ share: Double, width: Int) -> String {
            let filled = Int((min(1, max(0, share)) * Double(width)).rounded())
            return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
        }
    }

    struct Stop: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop a shadow test now, as a new revision (its until becomes now); its pairs stay for the report.")

        @Argument(help: ArgumentHelp("The shadow test.", valueName: "name"))
        var name: String
        @OptionGroup var home: HomeOptions

        func run() throws {
            let console = Console.current
            let fleet = try ShadowFleet(name, home: home)
            if let until = fleet.spec.untilDate, until <= Date() {
                console.write("shadowtest/\(name) already ended at \(fleet.spec.until ?? ""); nothing changed.\n")
                return
            }
            var spec = fleet.spec
            spec.until = Date().ISO8601Format()
            let revision = try ShadowRevision.write([(ManifestID(.shadowTest, name), .shadowTest(spec))], in: fleet.snapshot, home: home,
                                                    source: "lumenctl shadow stop \(name)")
            console.write("shadowtest/\(name) stopped in revision \(revision); see what it found with: lumenctl shadow report \(name)\n")
        }
    }
}

/// Writes changed objects as one revision, as `apply` would, and pushes it to the nodes.
enum ShadowRevision {
    static func write(_ changes: [(ManifestID, ManifestSpec)], in snapshot: Snapshot, home: HomeOptions, source: String) throws -> Int {
        var yaml: [String] = []
        for (id, spec) in changes {
            guard let current = snapshot.manifests.first(where: { $0.id == id }) else { throw CommandFailure.notFound(id) }
            yaml.append(Manifest(metadata: current.metadata, spec: spec).canonicalYAML)
        }
        let documents: [LocatedManifest]
        do {
            documents = try ManifestParser.parse(yaml.joined(separator: "---\n"), file: source)
        } catch {
            throw CommandFailure("the change would not be a valid manifest: \(error)")
        }
        let store = try home.openStore()
        let result = try store.apply(documents, source: source)
        guard let revision = result.revision else {
            return try store.latestRevision() ?? 0
        }
        try StatePush.pushLatest(store, home: home)
        return revision
    }
}
