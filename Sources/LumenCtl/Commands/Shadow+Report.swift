import ArgumentParser
import Foundation
import LumenStore

extension Shadow {
    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare a shadow test's candidate with the route's model, side by side, with a verdict against its thresholds.",
            discussion: "Gathers the pairs every agent recorded: TTFT and latency p50/p95, tokens/s, cost per request and per 1k requests, error rates, the agreement distribution, example pairs with a word diff. --html writes the same as one self-contained page with charts.")

        @Argument(help: ArgumentHelp("The shadow test.", valueName: "name"))
        var name: String
        @Option(name: .shortAndLong, help: "Output format: table or json.")
        var output: OutputFormat = .table
        @Option(help: ArgumentHelp("Also write the report as a self-contained HTML page to this file.", valueName: "file"),
                completion: .file(extensions: ["html"]))
        var html: String?
        @OptionGroup var home: HomeOptions

        func run() throws {
            let console = Console.current
            let fleet = try ShadowFleet(name, home: home)
            let (pairs, unreachable) = try fleet.pairs()
            let report = ShadowReport(name: name, spec: fleet.spec, pairs: pairs)
            if let html {
                do {
                    try report.html().write(toFile: html, atomically: true, encoding: .utf8)
                } catch {
                    throw CommandFailure("cannot write \(html): \((error as NSError).localizedDescription); choose a writable path")
                }
                console.writeError("Wrote \(html); open it in a browser.\n")
            }
            switch output {
            case .json, .yaml: console.write(try report.json() + "\n")
            case .table, .wide: console.write(report.text(console: console))
            }
            for node in unreachable { console.writeError("node/\(node.node): \(node.error); its pairs are not in this report\n") }
            if !unreachable.isEmpty { throw ExitCode(1) }
        }
    }
}
