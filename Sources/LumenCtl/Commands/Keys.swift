import Foundation
import ArgumentParser
import LumenAPI
import LumenManifest
import LumenStore

struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, list and revoke API keys.",
        discussion: "Keys are stored and pushed to agents as SHA-256 hashes; a key's secret is printed once, when it is created.",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key and print it once.")

        @Argument(help: ArgumentHelp("A name for the key (who or what uses it).", valueName: "name"))
        var name: String
        @Option(help: ArgumentHelp("Routes and models the key may use, comma-separated (default: all).", valueName: "names"))
        var routes: String?
        @Option(help: "Requests per minute allowed.")
        var rpm: Int?
        @Option(help: "Tokens (in + out) per minute allowed.")
        var tpm: Int?
        @Option(help: "Concurrent streams allowed.")
        var maxStreams: Int?
        @Option(help: ArgumentHelp("USD the key may spend per UTC day, e.g. 5 or 2.50.", valueName: "usd"))
        var dailyBudget: String?
        @Option(help: ArgumentHelp("USD the key may spend per UTC month.", valueName: "usd"))
        var monthlyBudget: String?
        @Option(name: .shortAndLong, help: "Output format: table or json.")
        var output: OutputFormat = .table
        @OptionGroup var home: HomeOptions

        func validate() throws {
            guard ManifestName.isValid(name) else { throw ValidationError("The key name must be \(ManifestName.rule).") }
            for (option, value) in [("--rpm", rpm), ("--tpm", tpm), ("--max-streams", maxStreams)] {
                if let value, value < 1 { throw ValidationError("\(option) must be at least 1.") }
            }
            for (option, value) in [("--daily-budget", dailyBudget), ("--monthly-budget", monthlyBudget)] {
                if let value, USD(parsing: value) == nil {
                    throw ValidationError("\(option) must be a USD amount such as 5 or 2.50, got \(value).")
                }
            }
        }

        func run() throws {
            let store = try home.openStore()
            let routeList = routes?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let created = try store.createKey(name: name, routes: routeList, requestsPerMinute: rpm, tokensPerMinute: tpm, maxStreams: maxStreams,
                                              dailyBudget: dailyBudget.flatMap(USD.init(parsing:)),
                                              monthlyBudget: monthlyBudget.flatMap(USD.init(parsing:)))
            let console = Console.current
            if output == .json {
                console.write(JSONValue.map([
                    .init("name", .string(name)), .init("key", .string(created.secret)),
                    .init("prefix", .string(created.record.prefix)), .init("revision", .number(String(created.revision))),
                ]).json() + "\n")
            } else {
                console.write("Created key \(name) in revision \(created.revision). Store it now; it is not shown again:\n\(created.secret)\n")
            }
            try StatePush.pushLatest(store, home: home)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys (never their secrets).")

        @Option(name: .shortAndLong, help: "Output format: table, wide, json or yaml.")
        var output: OutputFormat = .table
        @OptionGroup var home: HomeOptions

        func run() throws {
            let keys = try home.existingStore()?.keys() ?? []
            let console = Console.current
            switch output {
            case .json, .yaml:
                let value = JSONValue.list(keys.map { key in
                    .map([
                        .init("name", .string(key.name)), .init("prefix", .string(key.prefix)),
                        .init("routes", key.routes.map { .list($0.map(JSONValue.string)) } ?? .null),
                        .init("requestsPerMinute", key.requestsPerMinute.map { .number(String($0)) } ?? .null),
                        .init("tokensPerMinute", key.tokensPerMinute.map { .number(String($0)) } ?? .null),
                        .init("maxStreams", key.maxStreams.map { .number(String($0)) } ?? .null),
                        .init("dailyBudget", key.dailyBudget.map { .string($0.description) } ?? .null),
                        .init("monthlyBudget", key.monthlyBudget.map { .string($0.description) } ?? .null),
                        .init("createdAt", .string(key.createdAt)), .init("revokedAt", key.revokedAt.map(JSONValue.string) ?? .null),
                    ])
                })
                console.write(output == .json ? value.json() + "\n" : value.yaml())
            case .table, .wide:
                guard !keys.isEmpty else {
                    console.writeError("No keys yet in \(home.path); create one with lumenctl keys create NAME.\n")
                    return
                }
                var table = Table(headers: ["NAME", "PREFIX", "ROUTES", "RPM", "TPM", "STREAMS", "BUDGET", "CREATED", "STATUS"])
                for key in keys {
                    table.rows.append([
                        key.name, key.prefix + "…", key.routes?.joined(separator: ",") ?? "all",
                        key.requestsPerMinute.map(String.init) ?? "-", key.tokensPerMinute.map(String.init) ?? "-",
                        key.maxStreams.map(String.init) ?? "-", Self.budget(key), key.createdAt, key.revokedAt.map { "revoked \($0)" } ?? "active",
                    ])
                }
                console.write(table.render())
            }
        }

        static func budget(_ key: APIKeyRecord) -> String {
            let parts = [key.dailyBudget.map { "$\($0)/day" }, key.monthlyBudget.map { "$\($0)/month" }].compactMap { $0 }
            return parts.isEmpty ? "-" : parts.joined(separator: ", ")
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key; agents refuse it once they have the new revision.")

        @Argument(help: ArgumentHelp("The key's name.", valueName: "name"))
        var name: String
        @OptionGroup var home: HomeOptions

        func run() throws {
            guard let store = try home.existingStore() else { throw CommandFailure("key \(name) not found; list keys with lumenctl keys list") }
            let revision = try store.revokeKey(name: name)
            Console.current.write("Revoked key \(name) in revision \(revision).\n")
            try StatePush.pushLatest(store, home: home)
        }
    }
}
