import ArgumentParser
import Foundation
import LumenAPI
import LumenManifest
import LumenStore

extension Shadow {
    struct Promote: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move a route's traffic to the shadow test's candidate, at once or in steps with automatic rollback.",
            discussion: """
                Each step is a new route revision: below 100% the route becomes a weighted split between the model that served the \
                pairs (the incumbent) and the candidate; at 100% the candidate takes the incumbent's place. The shadow test stops \
                with the first step. During each --interval the candidate's live error rate, TTFT p95 and latency p95 are checked \
                against the test's thresholds (latency against the primary's over the pairs); a regression restores the route as \
                it was, as a new revision, and exits 1. Promotion needs the report's verdict to be promote unless --force.
                """)

        @Argument(help: ArgumentHelp("The shadow test.", valueName: "name"))
        var name: String
        @Option(help: ArgumentHelp("Percentages of traffic for the candidate, in order, e.g. 10,50,100 (default: 100, at once).",
                                   valueName: "percents"))
        var steps: String = "100"
        @Option(help: ArgumentHelp("How long each step runs and is watched before the next, e.g. 10m.", valueName: "duration"))
        var interval: String = "10m"
        @Flag(help: "Promote even when the report's verdict is not promote.")
        var force = false
        @OptionGroup var home: HomeOptions

        var percents: [Int] {
            steps.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        }

        func validate() throws {
            let parts = steps.split(separator: ",", omittingEmptySubsequences: false)
            let percents = percents
            guard percents.count == parts.count, !percents.isEmpty, percents.allSatisfy({ (1...100).contains($0) }),
                  zip(percents, percents.dropFirst()).allSatisfy({ $0 < $1 }), percents.last == 100 else {
                throw ValidationError("--steps must be rising percentages from 1 to 100 that end at 100, such as 10,50,100.")
            }
            guard let every = LumenDuration(parsing: interval), every.duration >= .seconds(1) else {
                throw ValidationError("--interval must be a duration of at least 1s, such as 30s or 10m.")
            }
        }

        func run() throws {
            let console = Console.current
            let fleet = try ShadowFleet(name, home: home)
            let spec = fleet.spec
            let (pairs, unreachable) = try fleet.pairs()
            for node in unreachable { console.writeError("node/\(node.node): \(node.error); its pairs are left out\n") }
            let report = ShadowReport(name: name, spec: spec, pairs: pairs)
            if report.verdict.decision != .promote && !force {
                throw CommandFailure("the report's verdict is \(report.verdict.decision.rawValue): \(report.verdict.summary); see lumenctl shadow report \(name), or pass --force to promote anyway")
            }
            guard let incumbent = ShadowPromotion.incumbent(of: fleet.route, candidate: spec.candidate, pairs: pairs) else {
                throw CommandFailure("route \(spec.route) has no model besides \(spec.candidate) to take traffic from; nothing to promote")
            }
            let original = fleet.route
            let routeID = ManifestID(.route, spec.route)
            let baseline = ShadowPromotion.Baseline(pairs: pairs)
            let every = LumenDuration(parsing: interval)?.duration ?? .seconds(600)
            let percents = percents
            let watched = percents.count > 1
            var snapshot = fleet.snapshot
            for (index, percent) in percents.enumerated() {
                let route = ShadowPromotion.route(original, incumbent: incumbent, candidate: spec.candidate, percent: percent)
                var changes: [(ManifestID, ManifestSpec)] = [(routeID, .route(route))]
                if index == 0 && spec.isRunning(taken: 0) {
                    // The candidate now serves the route: mirroring it to itself would measure nothing.
                    var stopped = spec
                    stopped.until = Date().ISO8601Format()
                    changes.append((ManifestID(.shadowTest, name), .shadowTest(stopped)))
                }
                let started = Date()
                let revision = try ShadowRevision.write(changes, in: snapshot, home: home,
                                                        source: "lumenctl shadow promote \(name) (\(percent)% to \(spec.candidate))")
                snapshot = try home.existingStore()?.snapshot() ?? snapshot
                console.write("route/\(spec.route): \(percent)% of traffic to \(spec.candidate) (from \(incumbent)) in revision \(revision)\n")
                guard watched else { continue }
                if let regression = try watch(fleet, since: started, for: every, baseline: baseline) {
                    let restored = try ShadowRevision.write([(routeID, .route(original))], in: snapshot, home: home,
                                                            source: "lumenctl shadow promote \(name) (rolled back)")
                    throw CommandFailure("rolled back at \(percent)%: \(regression); route/\(spec.route) is as it was before the promotion, in revision \(restored)")
                }
            }
            console.write("Promoted \(spec.candidate) on route \(spec.route).\n")
        }

        /// Checks the candidate's live traffic every few seconds until `duration` has passed; returns the first regression.
        private func watch(_ fleet: ShadowFleet, since started: Date, for duration: Duration, baseline: ShadowPromotion.Baseline) throws -> String? {
            let console = Console.current
            let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
            let deadline = started.addingTimeInterval(seconds)
            let check = min(5, max(0.5, seconds / 10))
            while true {
                Thread.sleep(forTimeInterval: max(0, min(check, deadline.timeIntervalSinceNow)))
                let (rows, errors) = try fleet.usage(since: started)
                for error in errors { console.writeError("\(error); its traffic is not watched\n") }
                let candidateUpstreams = try fleet.health().filter { $0["model"]?.stringValue == fleet.spec.candidate }
                let upstreamErrorRate = candidateUpstreams.compactMap { report -> Double? in
                    (report["requests"]?.intValue ?? 0) > 0 ? report["errorRate"]?.doubleValue : nil
                }.max()
                if let regression = ShadowPromotion.regression(
                    candidate: fleet.spec.candidate, route: fleet.spec.route, rows: rows, upstreamErrorRate: upstreamErrorRate,
                    baseline: baseline, thresholds: fleet.spec.thresholds) {
                    return regression
                }
                if Date() >= deadline { return nil }
            }
        }
    }
}
