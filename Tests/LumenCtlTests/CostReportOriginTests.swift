import Foundation
@testable import LumenCtl
import LumenStore
import Testing

/// `lumenctl costs` with peer and shadow rows: peers are never counted twice, shadow spend has its own line.
@Suite struct CostReportOriginTests {
    static func row(_ node: String, origin: UsageRecord.Origin, model: String, cost: String) -> LedgerRow {
        var row = CostReportTests.row(node, route: "auto", model: model, key: origin == .shadow ? nil : "dev", prompt: 1000, completion: 500,
                                      cost: cost)
        row.record.origin = origin
        return row
    }

    /// Node a passed one request to node b's replicas: a's client row and b's peer row are one request.
    static let rows = [
        row("a", origin: .client, model: "cheap", cost: "0.00125"),
        row("b", origin: .peer, model: "cheap", cost: "0.00125"),
        row("b", origin: .client, model: "strong", cost: "0.025"),
        row("a", origin: .shadow, model: "strong", cost: "0.025"),
    ]

    @Test func peerRowsAreNotCountedAndShadowSpendIsItsOwnLine() throws {
        for grouping in CostGrouping.allCases {
            let report = try CostReportTests.report(grouping, rows: Self.rows, budgetRows: Self.rows)
            #expect(report.total.requests == 2 && report.total.spend == Decimal(string: "0.02625"), "\(grouping)")
            #expect(report.groups.map(\.requests).reduce(0, +) == 2)
            #expect(report.shadow.requests == 1 && report.shadow.spend == Decimal(string: "0.025") && report.shadow.saved == 0)
            #expect(report.peerRequests == 1)
        }
        let byRoute = try CostReportTests.report(.route, rows: Self.rows, budgetRows: Self.rows)
        #expect(byRoute.groups.first { $0.name == "auto" }?.today?.spent == Decimal(string: "0.02625"), "budgets count client rows only")

        let table = byRoute.table(usesColor: false)
        #expect(table.split(separator: "\n").contains { $0.hasPrefix("SHADOW TESTS ") && $0.contains("$0.0250") }, "\(table)")
        #expect(table.contains("1 request served for other agents are not counted"), "\(table)")
        let json = byRoute.json()
        #expect(json.contains(#""peerRequests": 1"#) || json.contains(#""peerRequests":1"#), "\(json)")
        #expect(json.contains("\"shadow\""))
        let csv = byRoute.csv()
        #expect(csv.split(separator: "\n").last?.hasPrefix("(shadow tests),1,0,1000,500,0,0.025,0.025,0,") == true, "\(csv)")
    }
}
