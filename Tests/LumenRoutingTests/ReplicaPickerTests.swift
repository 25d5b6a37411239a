import LumenRouting
import Testing

@Suite struct ReplicaPickerTests {
    let idle = (0..<4).map { ReplicaPicker.Replica(id: "endpoint/r\($0)", inFlight: 0) }
    let systemPrompts = (0..<40).map { "You are assistant number \($0). " + String(repeating: "Follow the house style carefully. ", count: 20) }

    @Test func aSharedPrefixAlwaysGoesToTheSameReplicaAndPrefixesSpreadOverAll() throws {
        var homes: [String: Int] = [:]
        for prompt in systemPrompts {
            let key = try #require(ReplicaPicker.prefixKey(prompt + " user question A"))
            #expect(ReplicaPicker.prefixKey(prompt + " a different question") == key)
            let first = ReplicaPicker.order(idle, prefixKey: key, draw: 1)
            #expect(ReplicaPicker.order(idle, prefixKey: key, draw: 99) == first)
            #expect(Set(first) == Set(idle.map(\.id)))
            homes[first[0], default: 0] += 1
        }
        #expect(homes.count == 4 && homes.values.allSatisfy { $0 >= 4 }, "\(homes)")
    }

    @Test func losingAReplicaMovesOnlyItsOwnPrefixes() throws {
        let three = Array(idle.prefix(3))
        var moved = 0
        for prompt in systemPrompts {
            let key = try #require(ReplicaPicker.prefixKey(prompt))
            let before = ReplicaPicker.order(idle, prefixKey: key, draw: 0)[0]
            let after = ReplicaPicker.order(three, prefixKey: key, draw: 0)[0]
            if before != after {
                moved += 1
                #expect(before == "endpoint/r3")
            }
        }
        #expect(moved > 0)
    }

    @Test func anOverloadedHomeIsPassedOverAndShortPromptsGoToTheLessLoaded() throws {
        let key = try #require(ReplicaPicker.prefixKey(systemPrompts[0]))
        let home = ReplicaPicker.order(idle, prefixKey: key, draw: 0)[0]
        let busy = idle.map { ReplicaPicker.Replica(id: $0.id, inFlight: $0.id == home ? 12 : 2) }
        let order = ReplicaPicker.order(busy, prefixKey: key, draw: 0)
        #expect(order.last == home && order.count == 4)
        #expect(ReplicaPicker.prefixKey("short prompt") == nil)
        let loads = [5, 0, 3, 9]
        let loaded = idle.enumerated().map { ReplicaPicker.Replica(id: $0.element.id, inFlight: loads[$0.offset]) }
        for draw in UInt64(0)..<64 {
            let order = ReplicaPicker.order(loaded, prefixKey: nil, draw: draw)
            // Of two random replicas the less loaded comes first, so the busiest never does.
            #expect(order.first != "endpoint/r3" && Set(order).count == 4)
        }
    }
}
