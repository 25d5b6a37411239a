import LumenAPI

extension Gateway {
    /// How a request was admitted to a model whose replicas this agent runs (for `/metrics`).
    enum Admission: String {
        /// Sent to another candidate: this model had no replica with room.
        case spilled
        /// Waited in the queue until a running replica had room.
        case queued
        /// Waited in the queue for a replica that was still starting.
        case coldStartWait = "cold_start_wait"
        /// Refused: the queue was full, the wait would outlast the deadline, or it did.
        case queueFull = "queue_full"
        case startTooSlow = "start_too_slow"
        case timedOut = "timed_out"
        /// Refused at once: no replica will come up soon (crash loop, no slots).
        case unavailable
    }

    /// Whether one of `pool`'s ready replicas can take another request now.
    func hasRoom(_ pool: ReplicaPool) -> Bool {
        let ready = pool.ready
        guard !ready.isEmpty else { return false }
        return (health.inFlight(ready.map(\.id)).min() ?? 0) < pool.capacityPerReplica
    }

    /// Admission control for models whose replicas this agent runs. A candidate with no replica
    /// that has room (none ready while it scales up from zero, or every one full) is passed over
    /// for the others, and its autoscaler counts the demand at its next tick. When no candidate has
    /// room, the request waits in the first such model's bounded queue until a replica has room,
    /// for at most the route's TTFT SLO (else the agent's queue timeout); a wait that cannot end
    /// in time is refused at once with a clear error, never left to hang.
    func admit(_ plan: Plan, exchange: inout Exchange) async throws(OpenAIError) -> Plan {
        var open: [ServedModel] = []
        /// Models without room that come before the first open one: the request would have gone there.
        var full: [(model: ServedModel, pool: ReplicaPool)] = []
        for model in plan.candidates {
            guard let pool = model.pool else {
                open.append(model)
                continue
            }
            // Peer agents that also host the model take what the local replicas cannot; that is
            // still this node's demand.
            if hasRoom(pool) || !model.fixedUpstreams.isEmpty {
                if open.isEmpty {
                    pool.noteWanted()
                    if !hasRoom(pool) {
                        pool.spillStarted()
                        exchange.spills.append(pool)
                    }
                }
                open.append(model)
            } else if open.isEmpty {
                full.append((model, pool))
            }
        }
        var plan = plan
        if !open.isEmpty {
            for (model, pool) in full {
                pool.spillStarted()
                exchange.spills.append(pool)
                metrics.recordAdmission(model: model.name, .spilled)
            }
            plan.candidates = open
            return plan
        }
        guard let (model, pool) = full.first else { return plan }

        let deadline = ContinuousClock.now + plan.queueDeadline
        let budget = Self.describe(plan.queueDeadline) + " (\(plan.queueDeadlineSource))"
        let cold = pool.ready.isEmpty
        if cold, let blocked = pool.blocked {
            metrics.recordAdmission(model: model.name, .unavailable)
            throw OpenAIError(status: 503, message: "model \(model.name) has no replica running and none will start soon: \(blocked)",
                              type: "server_error", code: "model_unavailable", retryAfter: 10)
        }
        if cold, let expected = pool.expectedReady, expected > deadline {
            metrics.recordAdmission(model: model.name, .startTooSlow)
            let wait = max(1, Int((expected - ContinuousClock.now).seconds.rounded(.up)))
            throw OpenAIError(status: 503, message: "model \(model.name) is starting from zero and needs about \(wait) s, longer than this request may wait, "
                              + "\(budget); retry after \(wait) s, or give the route a candidate that is running", type: "server_error",
                              code: "model_starting", retryAfter: wait)
        }
        guard let ticket = pool.enqueue(coldStart: cold) else {
            metrics.recordAdmission(model: model.name, .queueFull)
            throw OpenAIError(status: 503, message: "model \(model.name) is at capacity and its queue is full (\(pool.queueLimit) waiting); "
                              + "retry after 1 s, or raise the deployment's replicas.max", type: "server_error", code: "queue_full", retryAfter: 1)
        }
        defer { pool.dequeue(ticket) }
        while ContinuousClock.now < deadline, !Task.isCancelled {
            if pool.isFirst(ticket) && hasRoom(pool) {
                metrics.recordAdmission(model: model.name, cold ? .coldStartWait : .queued)
                plan.candidates = [model]
                return plan
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        metrics.recordAdmission(model: model.name, .timedOut)
        let why = cold ? "no replica of model \(model.name) was ready" : "every replica of model \(model.name) stayed full"
        throw OpenAIError(status: 503, message: "\(why) within \(budget); retry after 1 s, or raise the deployment's replicas.min or warm so one is always running",
                          type: "server_error", code: "queue_timeout", retryAfter: 1)
    }

    static func describe(_ duration: Duration) -> String {
        let milliseconds = duration.milliseconds
        return milliseconds < 1000 ? "\(Int(milliseconds)) ms" : "\((milliseconds / 100).rounded() / 10) s"
    }
}
