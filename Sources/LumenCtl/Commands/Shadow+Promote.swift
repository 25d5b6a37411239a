import ArgumentParser
import Foundation
import LumenAPI
import LumenManifest
import LumenStore
import Synchronization

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
            // Ctrl-C or SIGTERM while a step runs rolls the route back rather than leaving it split.
            let interrupted = Interruption()
            defer { interrupted.stop() }
            var changed = false
            func restore(_ why: String) throws -> Never {
                let restored = try ShadowRevision.write([(routeID, .route(original))], in: snapshot, home: home,
                                                        source: "lumenctl shadow promote \(name) (rolled back)")
                throw CommandFailure("\(why); route/\(spec.route) is as it was before the promotion, in revision \(restored)")
            }
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
                let outcome: String?
                do {
                    let revision = try ShadowRevision.write(changes, in: snapshot, home: home,
                                                            source: "lumenctl shadow promote \(name) (\(percent)% to \(spec.candidate))")
                    changed = true
                    snapshot = try home.existingStore()?.snapshot() ?? snapshot
                    console.write("route/\(spec.route): \(percent)% of traffic to \(spec.candidate) (from \(incumbent)) in revision \(revision)\n")
                    guard watched else { continue }
                    outcome = try watch(fleet, since: started, for: every, baseline: baseline, interrupted: interrupted)
                } catch {
                    guard changed else { throw error }
                    try restore("rolled back at \(percent)% after an error: \(error)")
                }
                if let regression = outcome { try restore("rolled back at \(percent)%: \(regression)") }
            }
            console.write("Promoted \(spec.candidate) on route \(spec.route).\n")
        }

        /// Checks the candidate's live traffic every few seconds until `duration` has passed; returns the
        /// first regression, or why the watch was cut short.
        private func watch(_ fleet: ShadowFleet, since started: Date, for duration: Duration, baseline: ShadowPromotion.Baseline,
                           interrupted: Interruption) throws -> String? {
            let console = Console.current
            let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
            let deadline = started.addingTimeInterval(seconds)
            let check = min(5, max(0.5, seconds / 10))
            // The agents' error rate covers each upstream's last requests: it speaks for this step only
            // once the candidate's upstreams have served a whole window since the step began.
            let requestsAtStart = Self.candidateRequests(try fleet.health(), candidate: fleet.spec.candidate)
            while true {
                let wake = Date().addingTimeInterval(max(0, min(check, deadline.timeIntervalSinceNow)))
                while Date() < wake {
                    if interrupted.happened { return "interrupted" }
                    Thread.sleep(forTimeInterval: min(0.1, max(0, wake.timeIntervalSinceNow)))
                }
                let (rows, errors) = try fleet.usage(since: started)
                for error in errors { console.writeError("\(error); its traffic is not watched\n") }
                let health = try fleet.health()
                let candidateUpstreams = health.filter { $0["model"]?.stringValue == fleet.spec.candidate }
                let served = Self.candidateRequests(health, candidate: fleet.spec.candidate).merging(requestsAtStart) { $0 - $1 }
                let upstreamErrorRate = candidateUpstreams.compactMap { report -> Double? in
                    guard let id = report["upstream"]?.stringValue, (served[id] ?? 0) >= HealthWindow.requests else { return nil }
                    return report["errorRate"]?.doubleValue
                }.max()
                if let regression = ShadowPromotion.regression(
                    candidate: fleet.spec.candidate, route: fleet.spec.route, rows: rows, upstreamErrorRate: upstreamErrorRate,
                    baseline: baseline, thresholds: fleet.spec.thresholds) {
                    return regression
                }
                if Date() >= deadline { return nil }
            }
        }

        /// Requests each of the candidate's upstreams has answered, as the agents count them.
        private static func candidateRequests(_ health: [JSONValue], candidate: String) -> [String: Int] {
            var requests: [String: Int] = [:]
            for report in health where report["model"]?.stringValue == candidate {
                if let id = report["upstream"]?.stringValue { requests[id, default: 0] += report["requests"]?.intValue ?? 0 }
            }
            return requests
        }
    }
}

/// The agents' health board judges an upstream's error rate over its last this many requests.
enum HealthWindow {
    static let requests = 20
}

/// Turns SIGINT and SIGTERM into a flag while a promotion runs, so it can roll back before exiting.
final class Interruption {
    private final class Flag: Sendable {
        let raised = Mutex(false)
    }

    private let flag = Flag()
    private let sources: [any DispatchSourceSignal]

    init() {
        let flag = flag
        sources = [SIGINT, SIGTERM].map { signalNumber in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { flag.raised.withLock { $0 = true } }
            source.resume()
            return source
        }
    }

    var happened: Bool { flag.raised.withLock { $0 } }

    func stop() {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
