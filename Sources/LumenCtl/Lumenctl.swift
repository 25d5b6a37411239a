public import ArgumentParser
import Logging

/// `lumenctl`: the operator CLI. Every command lives here so tests drive it in-process.
public struct Lumenctl: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "lumenctl",
        abstract: "Operate Lumen: apply declarative manifests and inspect the control store.",
        discussion: "Manifests (Provider, Model, Route, ShadowTest, Node) are validated before anything is written; each apply is one revision in the control store ($LUMEN_HOME/control.db). Exit codes: 0 success, 1 failure, 64 usage error.",
        version: "0.1.0",
        subcommands: [
            Apply.self, Diff.self, Get.self, Describe.self, Delete.self, History.self, Rollback.self, Validate.self, Shadow.self,
            Sync.self, Health.self, Logs.self, Keys.self, Route.self, Scorer.self, Up.self, Chat.self, Bench.self,
            Costs.self, Top.self,
        ]
    )

    public init() {}

    /// Runs `lumenctl` with `arguments` on `console`, returning the exit code. Errors are printed
    /// the way the executable prints them: `Error: …` on stderr.
    public static func run(_ arguments: [String], console: Console) -> Int32 {
        Console.$current.withValue(console) {
            do {
                var command = try parseAsRoot(arguments)
                try command.run()
                return 0
            } catch {
                let code = exitCode(for: error).rawValue
                let message = fullMessage(for: error)
                if !message.isEmpty {
                    if code == 0 {
                        console.write(message + "\n")
                    } else {
                        console.writeError(message + "\n")
                    }
                }
                return code
            }
        }
    }
}

extension Lumenctl {
    /// Log lines go to stderr, one per event, at `LUMEN_LOG_LEVEL` (default `warning`).
    public static func bootstrapLogging(environment: [String: String]) {
        let level = environment["LUMEN_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
