public import Foundation
import Synchronization

/// Spend per route and per key, by UTC day and month. A request reserves its worst-case cost at
/// admission and settles its actual cost when it ends; admission and reservation happen under one
/// lock, so concurrent requests can never together pass a limit.
public final class BudgetBook: Sendable {
    public enum Scope: Hashable, Sendable, CustomStringConvertible {
        case route(String), key(String)

        public var description: String {
            switch self {
            case .route(let name): "route \(name)"
            case .key(let name): "API key \(name)"
            }
        }
    }

    public struct Limits: Sendable, Equatable {
        public var daily: Decimal?
        public var monthly: Decimal?

        public init(daily: Decimal? = nil, monthly: Decimal? = nil) {
            self.daily = daily
            self.monthly = monthly
        }
    }

    /// What a request holds until it settles.
    public struct Reservation: Sendable {
        let scopes: [Scope]
        let amount: Decimal
        let day: Int
        let month: Int
    }

    public struct Refusal: Error, Sendable, Equatable {
        public var scope: Scope
        public var period: String
        public var limit: Decimal
        public var spent: Decimal
        /// Seconds until the period starts over.
        public var retryAfter: Int

        public var message: String {
            "the \(period) budget of \(scope) is spent ($\(spent) of $\(limit), reservations included); "
                + "it starts over in \(retryAfter) s, or raise the budget"
        }
    }

    private struct Account {
        var day = 0, month = 0
        var daySpent = Decimal(0), dayHeld = Decimal(0)
        var monthSpent = Decimal(0), monthHeld = Decimal(0)

        mutating func roll(day: Int, month: Int) {
            if day != self.day { self.day = day; daySpent = 0; dayHeld = 0 }
            if month != self.month { self.month = month; monthSpent = 0; monthHeld = 0 }
        }
    }

    private let accounts = Mutex<[Scope: Account]>([:])
    private let clock: @Sendable () -> Date
    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    public init(clock: @escaping @Sendable () -> Date = { Date() }) {
        self.clock = clock
    }

    private static func periods(_ date: Date) -> (day: Int, month: Int) {
        let parts = calendar.dateComponents([.year, .month], from: date)
        return (Int(date.timeIntervalSince1970 / 86_400), (parts.year ?? 0) * 12 + (parts.month ?? 1) - 1)
    }

    /// Counts spend that happened before this book existed (the agent's ledger after a restart).
    public func record(_ cost: Decimal, at date: Date, for scopes: [Scope]) {
        let now = Self.periods(clock()), then = Self.periods(date)
        guard then.month == now.month else { return }
        accounts.withLock { accounts in
            for scope in scopes {
                var account = accounts[scope] ?? Account()
                account.roll(day: now.day, month: now.month)
                account.monthSpent += cost
                if then.day == now.day { account.daySpent += cost }
                accounts[scope] = account
            }
        }
    }

    /// Holds `amount` against every scope's limits, or refuses without holding anything.
    public func reserve(_ amount: Decimal, against limits: [(Scope, Limits)]) throws(Refusal) -> Reservation {
        let date = clock()
        let now = Self.periods(date)
        let refusal: Refusal? = accounts.withLock { accounts in
            for (scope, limit) in limits {
                var account = accounts[scope] ?? Account()
                account.roll(day: now.day, month: now.month)
                accounts[scope] = account
                if let daily = limit.daily, account.daySpent + account.dayHeld + amount > daily {
                    return Refusal(scope: scope, period: "daily", limit: daily, spent: account.daySpent + account.dayHeld,
                                   retryAfter: Self.secondsUntilNextDay(date))
                }
                if let monthly = limit.monthly, account.monthSpent + account.monthHeld + amount > monthly {
                    return Refusal(scope: scope, period: "monthly", limit: monthly, spent: account.monthSpent + account.monthHeld,
                                   retryAfter: Self.secondsUntilNextMonth(date))
                }
            }
            for (scope, _) in limits {
                accounts[scope]?.dayHeld += amount
                accounts[scope]?.monthHeld += amount
            }
            return nil
        }
        if let refusal { throw refusal }
        return Reservation(scopes: limits.map(\.0), amount: amount, day: now.day, month: now.month)
    }

    /// Releases the hold and counts what the request actually cost.
    public func settle(_ reservation: Reservation, cost: Decimal) {
        let now = Self.periods(clock())
        accounts.withLock { accounts in
            for scope in reservation.scopes {
                var account = accounts[scope] ?? Account()
                account.roll(day: now.day, month: now.month)
                if account.day == reservation.day { account.dayHeld = max(0, account.dayHeld - reservation.amount) }
                if account.month == reservation.month { account.monthHeld = max(0, account.monthHeld - reservation.amount) }
                account.daySpent += cost
                account.monthSpent += cost
                accounts[scope] = account
            }
        }
    }

    /// Spent and held today and this month.
    public func usage(_ scope: Scope) -> (day: Decimal, month: Decimal) {
        let now = Self.periods(clock())
        return accounts.withLock { accounts in
            var account = accounts[scope] ?? Account()
            account.roll(day: now.day, month: now.month)
            return (account.daySpent + account.dayHeld, account.monthSpent + account.monthHeld)
        }
    }

    private static func secondsUntilNextDay(_ date: Date) -> Int {
        let seconds = date.timeIntervalSince1970
        return max(1, Int((floor(seconds / 86_400) + 1) * 86_400 - seconds))
    }

    private static func secondsUntilNextMonth(_ date: Date) -> Int {
        let start = calendar.dateInterval(of: .month, for: date)?.end ?? date.addingTimeInterval(86_400)
        return max(1, Int(start.timeIntervalSince(date).rounded(.up)))
    }
}
