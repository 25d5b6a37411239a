import ArgumentParser
import Foundation
import LumenAPI
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `lumenctl top`: the fleet live — nodes, replicas, providers, request and spend rates.
struct Top: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Watch the fleet live: nodes, model replicas and providers with their state, latency, load, request rate and spend.",
        discussion: "Every interval each agent is asked once for its status, the health of its upstreams and its ledger of the last minute; rates and $/h come from that minute. Press q, Esc or Ctrl-C to quit. With --once, or when standard output is not a terminal, one frame is printed as plain text."
    )

    @OptionGroup var home: HomeOptions
    @Option(help: ArgumentHelp("How often to refresh, e.g. 2s or 500ms.", valueName: "duration"))
    var interval = "2s"
    @Flag(help: "Print one frame and exit (the default when standard output is not a terminal).")
    var once = false

    /// Faster than this and the agents spend their time answering `top`.
    static let shortestInterval = LumenDuration(milliseconds: 200)

    func validate() throws {
        guard let parsed = LumenDuration(parsing: interval) else {
            throw ValidationError("--interval takes a duration such as 2s or 500ms.")
        }
        guard parsed >= Self.shortestInterval else { throw ValidationError("--interval must be at least \(Self.shortestInterval).") }
    }

    func run() throws {
        let console = Console.current
        let homePath = home.path
        guard let nodes = try FleetGatherer.nodes(home: homePath) else { throw CommandFailure.emptyStore(homePath) }
        guard !nodes.isEmpty else {
            throw CommandFailure("no Node has an adminAddress, so top has no agent to ask; apply a Node manifest with spec.adminAddress")
        }
        let refresh = LumenDuration(parsing: interval) ?? .seconds(2)
        // A node gets the interval to answer, at least 2 s and at most 10 s, then shows as unreachable.
        let answerTimeout = min(max(refresh, .seconds(2)), .seconds(10))
        let gatherer = FleetGatherer(token: AdminClient.token(environment: console.environment, home: homePath), answerTimeout: answerTimeout)
        // The live view draws on the process's own terminal; a capturing console never gets it.
        guard !once, console.isTerminal, isatty(STDOUT_FILENO) == 1 else {
            let width = console.isTerminal ? TerminalScreen.size()?.columns : nil
            console.write(TopFrame(sample: gatherer.gather(nodes), width: width, height: nil, colored: console.usesColor, hint: nil).render())
            return
        }
        let loop = TopLoop(
            interval: refresh, gatherer: gatherer,
            nodes: { (try? FleetGatherer.nodes(home: homePath)) ?? nodes }, colored: console.usesColor)
        try loop.run()
    }
}
