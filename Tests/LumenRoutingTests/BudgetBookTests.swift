import Foundation
import LumenRouting
import Synchronization
import Testing

/// A wall clock the test moves by hand.
final class SteppingClock: Sendable {
    private let date: Mutex<Date>
    init(_ start: Date) { date = Mutex(start) }
    var now: Date { date.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { date.withLock { $0 += seconds } }
}

@Suite struct BudgetBookTests {
    // 2026-03-31 23:00:00 UTC: an hour before both the day and the month start over.
    let clock = SteppingClock(Date(timeIntervalSince1970: 1_774_998_000))
    var book: BudgetBook {
        let clock = clock
        return BudgetBook { clock.now }
    }

    @Test func reservationsHoldTheWorstCaseAndSettlingCountsTheActual() throws {
        let book = book
        let route = BudgetBook.Scope.route("auto")
        let limits = [(route, BudgetBook.Limits(daily: 1))]
        let first = try book.reserve(0.6, against: limits)
        // 0.6 held: another 0.6 would pass the limit, 0.4 does not.
        #expect(throws: BudgetBook.Refusal.self) { try book.reserve(0.6, against: limits) }
        let second = try book.reserve(0.4, against: limits)
        book.settle(first, cost: 0.1)
        book.settle(second, cost: 0.2)
        #expect(book.usage(route).day == 0.3)
        _ = try book.reserve(0.7, against: limits)
        do {
            _ = try book.reserve(0.01, against: limits)
            Issue.record("the day's budget is spent")
        } catch {
            #expect(error.period == "daily" && error.retryAfter == 3600 && error.message.contains("route auto"))
        }
    }

    @Test func aRefusalHoldsNothingAnywhere() throws {
        let book = book
        let route = BudgetBook.Scope.route("auto"), key = BudgetBook.Scope.key("team")
        #expect(throws: BudgetBook.Refusal.self) {
            try book.reserve(2, against: [(route, .init(daily: 10)), (key, .init(monthly: 1))])
        }
        #expect(book.usage(route).day == 0 && book.usage(key).month == 0)
    }

    @Test func theDayAndTheMonthStartOver() throws {
        let book = book
        let key = BudgetBook.Scope.key("team")
        let limits = [(key, BudgetBook.Limits(daily: 1, monthly: 1.5))]
        book.settle(try book.reserve(1, against: limits), cost: 1)
        clock.advance(3600)
        // A new day and a new month: both budgets are whole again.
        book.settle(try book.reserve(1, against: limits), cost: 1)
        clock.advance(86_400)
        // A new day, the same month: the month has 0.5 left.
        do {
            _ = try book.reserve(1, against: limits)
            Issue.record("the month's budget has 0.5 left")
        } catch {
            #expect(error.period == "monthly" && error.spent == 1)
        }
        _ = try book.reserve(0.5, against: limits)
    }

    @Test func pastSpendFromTheLedgerCounts() throws {
        let book = book
        let route = BudgetBook.Scope.route("auto")
        book.record(0.5, at: clock.now.addingTimeInterval(-60), for: [route])
        book.record(0.25, at: clock.now.addingTimeInterval(-2 * 86_400), for: [route])
        book.record(9, at: clock.now.addingTimeInterval(-40 * 86_400), for: [route])
        #expect(book.usage(route).day == 0.5 && book.usage(route).month == 0.75)
    }

    @Test func concurrentReservationsNeverPassTheLimit() async throws {
        let book = book
        let limits = [(BudgetBook.Scope.route("race"), BudgetBook.Limits(daily: 37 * 0.01))]
        let admitted = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<500 {
                group.addTask { (try? book.reserve(0.01, against: limits)) != nil }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(admitted == 37)
    }
}
