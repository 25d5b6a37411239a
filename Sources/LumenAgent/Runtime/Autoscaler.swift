import Foundation
import LumenGateway

/// One deployment's autoscaler on one node: how many replicas it needs, from in-flight load and
/// queue, smoothed, with `warm` standbys above that; up at once, down only after a stabilisation
/// window, and to `min` (zero, typically) after `scaleToZeroAfter` without a request. Pure: the
/// caller passes the time and the load.
struct Autoscaler: Sendable {
    struct Settings: Equatable, Sendable {
        var min: Int
        var max: Int
        var warm: Int
        var targetInFlight: Int
        var scaleToZeroAfter: Duration
        var stabilisation: Duration
    }

    struct Load {
        var now: ContinuousClock.Instant
        var inFlight: Int
        var waiting: Int
        /// Requests in flight on other candidates because this model had no room.
        var elsewhere: Int
        var lastWanted: ContinuousClock.Instant
        var lastUnmet: ContinuousClock.Instant?
    }

    /// What the autoscaler wants: `need` replicas for the load (at least `min`), `target` with
    /// the warm standbys, and why.
    struct Recommendation: Equatable, Sendable {
        var need: Int
        var target: Int
        var reason: String
    }

    var settings: Settings
    /// Load smoothed over about 10 s, so one quiet moment does not read as no load.
    private(set) var smoothed = 0.0
    private var lastSample: ContinuousClock.Instant?
    private var recent: [(at: ContinuousClock.Instant, need: Int)] = []
    static let smoothing: Duration = .seconds(10)
    /// A request that found no replica running keeps one wanted this long.
    static let unmetMemory: Duration = .seconds(30)

    init(_ settings: Settings) {
        self.settings = settings
    }

    mutating func recommend(_ load: Load) -> Recommendation {
        let instant = Double(load.inFlight + load.waiting + load.elsewhere)
        if let last = lastSample {
            smoothed += (instant - smoothed) * (1 - exp(-(load.now - last).seconds / Self.smoothing.seconds))
        } else {
            smoothed = instant
        }
        lastSample = load.now
        let idle = load.now - load.lastWanted
        if instant == 0 && idle >= settings.scaleToZeroAfter {
            recent.removeAll()
            return Recommendation(need: settings.min, target: settings.min,
                                  reason: "no request for \(Self.describe(idle)) (scaleToZeroAfter \(Self.describe(settings.scaleToZeroAfter))): min \(settings.min)")
        }
        let level = max(instant, smoothed)
        // A trace of smoothed load (under a twentieth of a replica's share) keeps no replica.
        var forLoad = Int((level / Double(settings.targetInFlight) - 0.05).rounded(.up))
        var why = "load \(Self.format(level)) (in flight \(load.inFlight), waiting \(load.waiting), sent elsewhere \(load.elsewhere)) "
            + "over targetInFlight \(settings.targetInFlight): \(forLoad) needed"
        if forLoad == 0, let unmet = load.lastUnmet, load.now - unmet < Self.unmetMemory {
            forLoad = 1
            why = "a request found no replica running \(Self.describe(load.now - unmet)) ago: 1 needed"
        }
        let need = min(settings.max, max(settings.min, forLoad))
        // Up at once; down only to the most needed within the window, so a lull does not drop
        // replicas that the next burst wants back.
        recent.append((load.now, need))
        recent.removeAll { load.now - $0.at > settings.stabilisation }
        let held = recent.map(\.need).max() ?? need
        if held > need { why += "; keeping \(held), the most needed in the last \(Self.describe(settings.stabilisation))" }
        if settings.warm > 0 { why += "; + \(settings.warm) warm" }
        return Recommendation(need: held, target: min(settings.max, held + settings.warm), reason: why)
    }

    static func describe(_ duration: Duration) -> String {
        let seconds = duration.seconds
        if seconds < 1 { return "\(Int(seconds * 1000)) ms" }
        if seconds < 120 { return "\(Int(seconds.rounded())) s" }
        return "\(Int((seconds / 60).rounded())) min"
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }
}
