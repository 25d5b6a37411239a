import Foundation
@testable import LumenGateway
import LumenStore
import Testing

/// The journal's hand-written lines read back as the rows they were written from.
@Suite struct LedgerJournalTests {
    @Test func linesDecodeToTheSameRows() throws {
        let rows = [
            UsageRecord(requestID: "req_1", at: "2026-12-02T16:00:00Z", keyName: "k\"ey\\\n\u{1}é", route: nil, model: "m", upstream: "peer/b",
                        promptTokens: 12, completionTokens: 0, cachedTokens: 3, cost: "0.000123", ttftMilliseconds: 1.5e-05,
                        durationMilliseconds: 1234.5678, status: 200, outcome: .clientClosed, failovers: 2, origin: .peer),
            UsageRecord(requestID: "req_2", at: "2026-12-02T16:00:01Z", keyName: nil, route: "auto", model: nil, upstream: nil,
                        promptTokens: 0, completionTokens: 0, cachedTokens: 0, cost: "0", ttftMilliseconds: nil,
                        durationMilliseconds: 0, status: 401, outcome: .rejected, failovers: 0),
        ]
        for (index, row) in rows.enumerated() {
            var line: [UInt8] = []
            LedgerJournal.encode(seq: index + 7, row: row, into: &line)
            #expect(line.last == UInt8(ascii: "\n") && line.dropLast().allSatisfy { $0 != UInt8(ascii: "\n") })
            let decoded = try JSONDecoder().decode(LedgerJournal.Line.self, from: Data(line))
            #expect(decoded.seq == index + 7 && decoded.row == row, "\(String(decoding: line, as: UTF8.self))")
        }
    }
}
