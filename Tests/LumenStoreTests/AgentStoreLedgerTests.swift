import Foundation
import LumenStore
import LumenTestSupport
import Testing

/// agent.db's ledger and shadow pairs: who a row bills, the journal mark, and how long pairs are kept.
@Suite struct AgentStoreLedgerTests {
    static func row(_ id: String, origin: UsageRecord.Origin, cost: String = "0.5", at: String = Date().ISO8601Format()) -> UsageRecord {
        UsageRecord(requestID: id, at: at, keyName: "k", route: "auto", model: "m", upstream: nil, promptTokens: 1, completionTokens: 1,
                    cachedTokens: 0, cost: cost, ttftMilliseconds: nil, durationMilliseconds: 1, status: 200, outcome: .completed,
                    failovers: 0, origin: origin)
    }

    @Test func rowsKeepTheirOriginAndOnlyClientRowsRebuildBudgets() throws {
        try withTemporaryDirectory { dir in
            let store = try AgentStore(home: dir)
            try store.appendUsage([Self.row("c", origin: .client), Self.row("p", origin: .peer), Self.row("s", origin: .shadow)],
                                  journalSeq: 7)
            #expect(try store.usage().map(\.origin) == [.client, .peer, .shadow])
            #expect(try store.journalSeq() == 7)
            // A lower mark (a replay of older records) never moves it back.
            try store.appendUsage([], journalSeq: 3)
            #expect(try store.journalSeq() == 7)
            let spend = try store.spend(since: "2000-01-01T00:00:00Z")
            #expect(spend.count == 1 && spend.first?.cost == "0.5", "peer and shadow rows spend from no budget here")
        }
    }

    @Test func rowsFromAnOlderAgentDecodeAsClientRows() throws {
        let json = #"{"requestID":"r","at":"2026-01-01T00:00:00Z","promptTokens":1,"completionTokens":2,"cachedTokens":0,"cost":"0","durationMilliseconds":1,"status":200,"outcome":"completed","failovers":0}"#
        let row = try JSONDecoder().decode(UsageRecord.self, from: Data(json.utf8))
        #expect(row.origin == .client && row.completionTokens == 2)
        let again = try JSONDecoder().decode(UsageRecord.self, from: try JSONEncoder().encode(Self.row("x", origin: .shadow)))
        #expect(again.origin == .shadow)
    }

    static func pair(_ test: String, at: String) -> ShadowPair {
        let side = ShadowPair.Side(model: "m", upstream: nil, status: 200, outcome: .completed, ttftMilliseconds: nil, durationMilliseconds: 1,
                                   promptTokens: 1, completionTokens: 1, cost: "0", text: "secret answer", toolCalls: nil)
        return ShadowPair(test: test, requestID: "r", at: at, route: "auto", prompt: "secret prompt", primary: side, candidate: side,
                          measures: .init(exactMatch: true, similarity: 1, lengthRatio: 1, jsonAgreement: true, toolCallAgreement: true,
                                          agreement: 1))
    }

    @Test func shadowPairsArePrunedByAgeAndCountButStillCountTowardMaxRequests() throws {
        try withTemporaryDirectory { dir in
            let store = try AgentStore(home: dir)
            let now = Date()
            let retention = AgentStore.ShadowRetention(maxAge: 30 * 86_400, maxPairsPerTest: 5)
            let old = now.addingTimeInterval(-31 * 86_400).ISO8601Format(), recent = now.addingTimeInterval(-86_400).ISO8601Format()
            try store.appendShadowPairs([Self.pair("a", at: old), Self.pair("b", at: old)], retention: retention, now: now.addingTimeInterval(-40 * 86_400))
            #expect(try store.shadowPairs(test: "a").count == 1)
            try store.appendShadowPairs((0..<8).map { _ in Self.pair("a", at: recent) }, retention: retention, now: now)
            #expect(try store.shadowPairs(test: "a").count == 5, "the 5 newest of a's pairs are kept")
            #expect(try store.shadowPairs(test: "a").allSatisfy { $0.at == recent })
            #expect(try store.shadowPairs(test: "b").isEmpty, "b's pair is older than 30 days")
            #expect(try store.shadowPairCounts() == ["a": 9, "b": 1], "recorded, not kept")
        }
    }
}
