import LumenAPI
import LumenManifest
import LumenStore

/// Renders stored objects as a table, JSON or YAML.
enum ObjectPresenter {
    static func render(_ objects: [StoredObject], format: OutputFormat, single: Bool,
                       nodeStatus: [String: AdminClient.NodeResult] = [:]) throws -> String {
        switch format {
        case .json:
            if single, let object = objects.first { return try object.canonicalValue().json() + "\n" }
            return ManifestValue.map([
                .init("apiVersion", .string(ManifestKind.apiVersion)),
                .init("kind", .string("List")),
                .init("items", .list(try objects.map { try $0.canonicalValue() })),
            ]).json() + "\n"
        case .yaml:
            return try objects.map { try $0.canonicalValue().yaml() }.joined(separator: "---\n")
        case .table, .wide:
            let byKind = Dictionary(grouping: objects, by: \.id.kind)
            let kinds = ManifestKind.allCases.filter { byKind[$0] != nil }
            return try kinds.map { kind in
                try table(kind, byKind[kind] ?? [], wide: format == .wide, prefixKind: kinds.count > 1, nodeStatus: nodeStatus).render()
            }.joined(separator: "\n")
        }
    }

    static func table(_ kind: ManifestKind, _ objects: [StoredObject], wide: Bool, prefixKind: Bool,
                      nodeStatus: [String: AdminClient.NodeResult]) throws -> Table {
        let live = kind == .node ? ["STATUS", "APPLIED"] + (wide ? ["VERSION"] : []) : []
        var table = Table(headers: ["NAME"] + headers(kind, wide: wide) + live + ["REVISION"])
        for object in objects {
            let name = prefixKind ? object.id.description : object.id.name
            var row = [name] + cells(try object.manifest().spec, wide: wide)
            if kind == .node {
                let status = nodeStatus[object.id.name]
                row.append(status.map { $0.error.map { "unreachable: " + $0.truncated(to: wide ? 80 : 40) } ?? "reachable" } ?? "no admin address")
                row.append(status?.appliedRevision.map(String.init) ?? "-")
                if wide { row.append(status?.version ?? "-") }
            }
            table.rows.append(row + [String(object.revision)])
        }
        return table
    }

    private static func headers(_ kind: ManifestKind, wide: Bool) -> [String] {
        switch kind {
        case .provider:
            ["BASE URL", "KEY FROM", "CONTINUATION"] + (wide ? ["CONNECT", "FIRST TOKEN", "IDLE", "MAX CONCURRENCY"] : [])
        case .model:
            ["SOURCE", "QUALITY", "CONTEXT", "IN $/MTOK", "OUT $/MTOK"]
                + (wide ? ["CACHED $/MTOK", "UPSTREAM MODEL", "CAPABILITIES", "REPLICAS"] : [])
        case .route:
            ["STRATEGY", "CANDIDATES", "QUALITY BAR", "MAX $/REQ"]
                + (wide ? ["DAILY $", "MONTHLY $", "TTFT P95", "RETENTION"] : [])
        case .shadowTest:
            ["ROUTE", "CANDIDATE", "SAMPLE RATE", "MAX REQUESTS"] + (wide ? ["UNTIL", "MIN AGREEMENT"] : [])
        case .node:
            ["ADDRESS", "SLOTS"] + (wide ? ["ADMIN ADDRESS", "LABELS"] : [])
        }
    }

    private static func cells(_ spec: ManifestSpec, wide: Bool) -> [String] {
        let none = "-"
        switch spec {
        case .provider(let provider):
            let key = provider.apiKeyEnv.map { "env:" + $0 } ?? provider.apiKeyFile.map { "file:" + $0 } ?? none
            return [provider.baseURL, key, provider.continuation.rawValue]
                + (wide ? [provider.timeouts.connect.description, provider.timeouts.firstToken.description,
                           provider.timeouts.idle.description, provider.maxConcurrency.map(String.init) ?? none] : [])
        case .model(let model):
            var replicas = none
            if let replicasSpec = model.deployment?.replicas {
                replicas = "\(replicasSpec.min)-\(replicasSpec.max) (+\(replicasSpec.warm) warm)"
            } else if let endpoints = model.deployment?.endpoints {
                replicas = String(endpoints.count)
            }
            return [source(model), formatScore(model.quality), String(model.contextWindow),
                    model.pricing.inputPerMTok.description, model.pricing.outputPerMTok.description]
                + (wide ? [model.pricing.cachedInputPerMTok.description, model.upstreamModel ?? none,
                           model.capabilities.isEmpty ? none : model.capabilities.map(\.rawValue).joined(separator: ","),
                           replicas] : [])
        case .route(let route):
            let candidates = wide ? route.candidates.joined(separator: ",") : route.candidates.joined(separator: ",").truncated(to: 40)
            return [route.strategy.rawValue, candidates, formatScore(route.qualityBar),
                    route.budget?.maxCostPerRequest?.description ?? none]
                + (wide ? [route.budget?.daily?.description ?? none, route.budget?.monthly?.description ?? none,
                           route.slo?.ttftP95?.description ?? none, route.retention.rawValue] : [])
        case .shadowTest(let test):
            return [test.route, test.candidate, formatScore(test.sampleRate), test.maxRequests.map(String.init) ?? none]
                + (wide ? [test.until ?? none, formatScore(test.thresholds.minAgreement)] : [])
        case .node(let node):
            return [node.address, String(node.slots)]
                + (wide ? [node.adminAddress ?? none,
                           node.labels.map { $0.map { "\($0.key)=\($0.value)" }.joined(separator: ",") } ?? none] : [])
        }
    }

    /// One object's versions, oldest first, as JSON or YAML data.
    static func historyValue(_ events: [ObjectEvent], includeObjects: Bool) -> ManifestValue {
        .list(events.map { event in
            var entries: [ManifestValue.Entry] = [
                .init("revision", .number(String(event.revision))), .init("time", .string(event.createdAt)),
                .init("change", .string(event.kind.rawValue)),
            ]
            if includeObjects { entries.append(.init("object", event.manifest?.canonicalValue ?? .null)) }
            return .map(entries)
        })
    }

    /// One object's versions as a table, newest first like `lumenctl history`.
    static func historyTable(_ events: some Sequence<ObjectEvent>) -> Table {
        var table = Table(headers: ["REVISION", "TIME", "CHANGE"])
        for event in events.reversed() { table.rows.append([String(event.revision), event.createdAt, event.kind.rawValue]) }
        return table
    }

    static func source(_ model: ModelSpec) -> String {
        if let provider = model.provider { return "provider/\(provider)" }
        if let endpoints = model.deployment?.endpoints { return "endpoints(\(endpoints.count))" }
        if let engine = model.deployment?.engine { return "engine/\(engine.rawValue)" }
        return "-"
    }

    static func formatScore(_ value: Double) -> String {
        let text = String(value)
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }
}
