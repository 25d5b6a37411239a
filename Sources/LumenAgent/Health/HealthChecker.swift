import AsyncHTTPClient
import Foundation
import LumenAPI
import LumenGateway
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// Active probes, so an upstream's health is known before traffic finds out, and an ejected one
/// comes back once it answers again. Self-hosted replicas get their readiness endpoint and a
/// one-token completion (which also measures TTFT); paid providers only a model list, less often,
/// which costs nothing.
struct HealthChecker: Service {
    let state: GatewayState
    let health: HealthBoard
    let client: HTTPClient
    let interval: Duration
    /// Longest wait for one probe answer (the upstream's first-token timeout if that is shorter).
    let timeout: Duration
    /// Providers are probed once per this many intervals.
    let providerEvery = 12

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var round = 0
            while !Task.isCancelled {
                let current = state.snapshot
                await withTaskGroup(of: Void.self) { group in
                    for model in current.models.values where model.unavailableReason == nil {
                        health.register(model.upstreams, model: model.name)
                        for upstream in model.upstreams {
                            let isProvider = upstream.id.hasPrefix("provider/")
                            if isProvider && round % providerEvery != 0 { continue }
                            group.addTask {
                                await probe(upstream, peers: model.upstreams.map(\.id), provider: isProvider)
                            }
                        }
                    }
                }
                round += 1
                try? await Task.sleep(for: interval)
            }
        }
    }

    private func probe(_ upstream: Upstream, peers: [String], provider: Bool) async {
        do {
            if provider {
                try await expectOK(.GET, Gateway.join(upstream.baseURL, "/models"), upstream: upstream, body: nil)
                health.succeeded(upstream.id)
                return
            }
            // Readiness first (vLLM, llama-server and lumen-engine serve /health beside /v1).
            let root = upstream.baseURL.hasSuffix("/v1") ? String(upstream.baseURL.dropLast(3)) : upstream.baseURL
            try await expectOK(.GET, Gateway.join(root, "/health"), upstream: upstream, body: nil)
            // A peer agent is judged by whether it answers: its model may rightly be scaled to zero there.
            if upstream.id.hasPrefix(Upstream.peerPrefix) {
                health.succeeded(upstream.id)
                return
            }
            // Then a one-token answer: a replica that is up but cannot generate fails here.
            let body: JSONValue = .map([
                .init("model", .string(upstream.upstreamModel)), .init("max_tokens", .number("1")),
                .init("messages", .list([.map([.init("role", .string("user")), .init("content", .string("ping"))])])),
            ])
            let started = ContinuousClock.now
            try await expectOK(.POST, Gateway.join(upstream.baseURL, "/chat/completions"), upstream: upstream, body: body)
            health.succeeded(upstream.id, ttft: ContinuousClock.now - started)
        } catch {
            health.failed(upstream.id, reason: "probe: \(error)", peers: peers)
        }
    }

    struct ProbeFailure: Error, CustomStringConvertible {
        var description: String
    }

    private func expectOK(_ method: HTTPMethod, _ url: String, upstream: Upstream, body: JSONValue?) async throws {
        let request = upstream.request(url, method: method, body: body)
        let timeout = min(upstream.firstTokenTimeout, self.timeout)
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .milliseconds(Int64(timeout / .milliseconds(1))))
        } catch {
            throw ProbeFailure(description: "\(method) \(url): \(Gateway.describe(error))")
        }
        _ = try? await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else { throw ProbeFailure(description: "\(method) \(url): HTTP \(response.status.code)") }
    }
}
