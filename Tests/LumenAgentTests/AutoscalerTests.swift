import Testing
@testable import LumenAgent

@Suite struct AutoscalerTests {
    let start = ContinuousClock.now
    let settings = Autoscaler.Settings(min: 0, max: 4, warm: 1, targetInFlight: 4, scaleToZeroAfter: .seconds(60), stabilisation: .seconds(30))

    func load(at seconds: Double, inFlight: Int = 0, waiting: Int = 0, elsewhere: Int = 0, wantedAt: Double = 0, unmetAt: Double? = nil) -> Autoscaler.Load {
        Autoscaler.Load(now: start + .milliseconds(Int(seconds * 1000)), inFlight: inFlight, waiting: waiting, elsewhere: elsewhere,
                        lastWanted: start + .milliseconds(Int(wantedAt * 1000)), lastUnmet: unmetAt.map { start + .milliseconds(Int($0 * 1000)) })
    }

    @Test func scalesUpAtOnceWithTheWarmStandbyOnTop() {
        var scaler = Autoscaler(settings)
        #expect(scaler.recommend(load(at: 0)).target == 1)
        let busy = scaler.recommend(load(at: 1, inFlight: 9, wantedAt: 1))
        #expect(busy.need == 3)
        #expect(busy.target == 4)
        #expect(busy.reason.contains("targetInFlight 4"))
        // Queued requests and requests sent elsewhere are load too.
        var other = Autoscaler(settings)
        #expect(other.recommend(load(at: 0, inFlight: 1, waiting: 2, elsewhere: 5)).need == 2)
    }

    @Test func clampsToMax() {
        var scaler = Autoscaler(settings)
        let flood = scaler.recommend(load(at: 0, inFlight: 100))
        #expect(flood.need == 4)
        #expect(flood.target == 4)
    }

    @Test func scalesDownOnlyAfterTheStabilisationWindow() {
        var scaler = Autoscaler(settings)
        #expect(scaler.recommend(load(at: 0, inFlight: 12)).need == 3)
        // Quiet again: the smoothed load and the window keep the replicas for a while.
        #expect(scaler.recommend(load(at: 5, wantedAt: 5)).need == 3)
        #expect(scaler.recommend(load(at: 20, wantedAt: 20)).need == 3)
        let later = scaler.recommend(load(at: 60, wantedAt: 59))
        #expect(later.need < 3)
        #expect(scaler.recommend(load(at: 120, wantedAt: 119)).need == 0)
    }

    @Test func scalesToMinAfterIdle() {
        var scaler = Autoscaler(settings)
        _ = scaler.recommend(load(at: 0, inFlight: 4))
        let idle = scaler.recommend(load(at: 90, wantedAt: 20))
        #expect(idle.target == 0)
        #expect(idle.reason.contains("scaleToZeroAfter"))
        var kept = Autoscaler(Autoscaler.Settings(min: 1, max: 4, warm: 1, targetInFlight: 4, scaleToZeroAfter: .seconds(60), stabilisation: .seconds(30)))
        #expect(kept.recommend(load(at: 90, wantedAt: 0)).target == 1)
    }

    @Test func aRequestThatFoundNoReplicaWantsOne() {
        var scaler = Autoscaler(Autoscaler.Settings(min: 0, max: 2, warm: 0, targetInFlight: 8, scaleToZeroAfter: .seconds(600), stabilisation: .seconds(0)))
        #expect(scaler.recommend(load(at: 0)).target == 0)
        let wanted = scaler.recommend(load(at: 1, wantedAt: 1, unmetAt: 1))
        #expect(wanted.target == 1)
        #expect(wanted.reason.contains("no replica running"))
        #expect(scaler.recommend(load(at: 100, wantedAt: 1, unmetAt: 1)).target == 0)
    }
}

@Suite struct SlotSchedulerTests {
    func want(_ model: String, priority: Int = 0, slots: Int = 1, min: Int = 0, need: Int, target: Int) -> SlotScheduler.Want {
        SlotScheduler.Want(model: model, priority: priority, slotsPerReplica: slots, min: min, need: need, target: target)
    }

    @Test func minThenNeedThenWarmByPriority() {
        let wants = [
            want("batch", priority: 0, min: 1, need: 3, target: 4),
            want("chat", priority: 10, min: 0, need: 2, target: 3),
        ]
        // 4 slots: batch's min (1), then chat's need (2) before batch's, then what is left.
        #expect(SlotScheduler.allow(wants, slots: 4) == ["batch": 2, "chat": 2])
        #expect(SlotScheduler.allow(wants, slots: 3) == ["batch": 1, "chat": 2])
        #expect(SlotScheduler.allow(wants, slots: 8) == ["batch": 4, "chat": 3])
        #expect(SlotScheduler.allow(wants, slots: 0) == ["batch": 0, "chat": 0])
    }

    @Test func multiSlotReplicasFitOrWait() {
        let wants = [want("big", slots: 2, need: 2, target: 2), want("small", slots: 1, need: 1, target: 1)]
        #expect(SlotScheduler.allow(wants, slots: 3) == ["big": 1, "small": 1])
        #expect(SlotScheduler.place(2, occupied: [0], slots: 4) == [1, 2])
        #expect(SlotScheduler.place(2, occupied: [0, 2, 3], slots: 4) == nil)
    }
}
