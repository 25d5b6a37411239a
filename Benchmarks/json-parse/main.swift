// Parses realistic chat bodies many times with Lumen's JSONValue parser and with Foundation's
// JSONSerialization, and prints MB/s. Built by Benchmarks/json-parse.sh.
import Foundation

func chatBody(messages: Int) -> String {
    var parts: [String] = []
    for index in 0..<messages {
        let text = "Message \(index): explain the \"trade-offs\" of prefix caching\nfor long contexts — naïve vs radix trees, costs in € and ¥, "
            + String(repeating: "with numbers 3.14159 and 2e10, tabs\tand quotes \\\" ", count: 8) + "😀"
        parts.append(#"{"role":"\#(index % 2 == 0 ? "user" : "assistant")","content":\#(JSONValue.jsonString(text))}"#)
    }
    let tools = #"[{"type":"function","function":{"name":"lookup","description":"Find a document","parameters":{"type":"object","properties":{"query":{"type":"string"},"limit":{"type":"integer","minimum":1,"maximum":50}},"required":["query"]}}}]"#
    return #"{"model":"lumen/auto","stream":true,"temperature":0.7,"max_tokens":512,"tools":\#(tools),"messages":[\#(parts.joined(separator: ","))]}"#
}

func measure(_ name: String, bytes: Int, iterations: Int, _ body: () throws -> Void) rethrows {
    try body()
    let start = ContinuousClock.now
    for _ in 0..<iterations { try body() }
    let elapsed = ContinuousClock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    print(String(format: "  %-28@ %8.1f MB/s %9.1f µs per body", name as NSString,
                 Double(bytes * iterations) / 1_048_576 / seconds, seconds / Double(iterations) * 1e6))
}

let iterations = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 2000
for messages in [4, 40] {
    let text = chatBody(messages: messages)
    let data = Data(text.utf8)
    print("chat body, \(messages) messages, \(data.count) bytes:")
    try measure("JSONValue(json:)", bytes: data.count, iterations: iterations) { _ = try JSONValue(json: text) }
    try measure("JSONSerialization", bytes: data.count, iterations: iterations) { _ = try JSONSerialization.jsonObject(with: data) }
}
