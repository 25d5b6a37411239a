import ArgumentParser
import Foundation
import LumenAPI

/// One end of a `lumenctl costs` window as typed: a span back from now or a moment.
enum TimeBound: Equatable, Sendable {
    case now
    /// `30m`, `24h`, `7d`, `2w` back from now.
    case ago(seconds: Int64)
    /// `2026-11-01` (UTC midnight) or `2026-11-01T12:00:00Z`.
    case at(Date)

    static let accepted = "a span back from now such as 30m, 24h, 7d or 2w, or a UTC date or time such as 2026-11-01 or 2026-11-01T12:00:00Z"

    init?(parsing text: String) {
        let text = text.trimmingCharacters(in: .whitespaces)
        if text == "now" {
            self = .now
        } else if let seconds = Self.span(text) {
            self = .ago(seconds: seconds)
        } else if let date = Self.moment(text) {
            self = .at(date)
        } else {
            return nil
        }
    }

    func resolve(now: Date) -> Date {
        switch self {
        case .now: now
        case .ago(let seconds): now.addingTimeInterval(-TimeInterval(seconds))
        case .at(let date): date
        }
    }

    /// Days and weeks on top of the manifest durations (`90m`, `1h30m`), which stop at hours.
    private static func span(_ text: String) -> Int64? {
        if let unit = text.last, let size: Int64 = ["d": 86_400, "w": 604_800][String(unit)] {
            let digits = text.dropLast()
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let count = Int64(digits), count > 0,
                  count <= 36_500 else { return nil }
            return count * size
        }
        guard let duration = LumenDuration(parsing: text), duration.milliseconds >= 1000 else { return nil }
        return duration.milliseconds / 1000
    }

    private static func moment(_ text: String) -> Date? {
        if text.count == 10, let day = try? Date(text + "T00:00:00Z", strategy: .iso8601) { return day }
        if let time = try? Date(text, strategy: .iso8601) { return time }
        // Fractional seconds, as other tools print them.
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}

/// The half-open span `[since, until)` the report covers, whole seconds in UTC as the ledger writes them.
struct CostWindow: Equatable, Sendable {
    var since: Date
    var until: Date

    /// Parses `--since` and `--until`; the errors say what each accepts.
    static func parse(since: String, until: String?, now: Date) throws -> CostWindow {
        guard let start = TimeBound(parsing: since) else {
            throw ValidationError("--since takes \(TimeBound.accepted); got '\(since)'.")
        }
        let end = try until.map { text in
            guard let bound = TimeBound(parsing: text) else {
                throw ValidationError("--until takes \(TimeBound.accepted), or now; got '\(text)'.")
            }
            return bound
        } ?? .now
        // The ledger keeps whole seconds; ending on the next second keeps this second's rows in.
        let wholeNow = Date(timeIntervalSince1970: (now.timeIntervalSince1970).rounded(.down))
        let window = CostWindow(since: start.resolve(now: wholeNow),
                                until: end == .now ? wholeNow.addingTimeInterval(1) : end.resolve(now: wholeNow))
        guard window.since < window.until else {
            throw ValidationError("--since (\(window.since.ISO8601Format())) must be before --until (\(window.until.ISO8601Format())); widen the window.")
        }
        return window
    }

    /// As the ledger and the admin API write times: `2026-11-29T06:42:32Z`.
    var sinceText: String { since.ISO8601Format() }
    var untilText: String { until.ISO8601Format() }
}

/// The budget periods that contain `now`: the UTC day and the UTC month, as budgets count them.
struct BudgetPeriods: Equatable, Sendable {
    var dayStart: Date
    var monthStart: Date

    init(now: Date) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? TimeZone(secondsFromGMT: 0) ?? .current
        dayStart = calendar.startOfDay(for: now)
        monthStart = calendar.date(from: calendar.dateComponents([.year, .month], from: now)) ?? dayStart
    }

    var dayText: String { dayStart.ISO8601Format() }
    var monthText: String { monthStart.ISO8601Format() }
}
