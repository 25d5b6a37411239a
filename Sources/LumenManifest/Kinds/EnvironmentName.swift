/// Rules for the environment variable names a manifest may write: `Provider.apiKeyEnv`,
/// `deployment.env` and `deployment.passEnv`.
public enum EnvironmentName {
    static let expected = "an environment variable name such as OPENAI_API_KEY (letters, digits, '_')"

    /// Variables with this prefix are the agent's own (the cluster token among them): a manifest may not name them.
    public static let reservedPrefix = "LUMEN_"

    /// Why `name` is not a variable name, or nil when it is one.
    static func problem(_ name: String) -> String? {
        guard let first = name.unicodeScalars.first, !("0"..."9").contains(first),
              name.unicodeScalars.allSatisfy({
                  ("A"..."Z").contains($0) || ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_"
              })
        else { return "expected \(expected), got \(name.isEmpty ? "an empty name" : name)" }
        return nil
    }

    /// Whether `name` is one of the agent's own variables (any case: `lumen_cluster_token` too).
    public static func isReserved(_ name: String) -> Bool {
        name.uppercased().hasPrefix(reservedPrefix)
    }

    /// Why `field` may not name `name`, or nil when it may.
    static func reservedProblem(_ name: String, field: String) -> String? {
        guard isReserved(name) else { return nil }
        switch field {
        case "apiKeyEnv":
            return "apiKeyEnv may not name \(name): variables starting with \(reservedPrefix) are the agent's own (the cluster token among them) "
                + "and are never sent to a provider; put the provider's key in a variable of its own, such as OPENAI_API_KEY"
        default:
            return "\(field) may not name \(name): variables starting with \(reservedPrefix) are the agent's own (it sets LUMEN_MODEL, "
                + "LUMEN_REPLICA, LUMEN_SLOTS and LUMEN_PORT itself, and the cluster token never reaches a replica); use another name"
        }
    }
}
