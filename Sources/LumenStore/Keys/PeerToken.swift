/// What agents send each other on the public API when one serves a model hosted on another.
/// Derived from the cluster token, so no extra secret is distributed, while the cluster token
/// itself (which can push state) never travels on the public port.
public enum PeerToken {
    public static let scheme = "lpt_"

    public static func derive(clusterToken: String) -> String {
        scheme + APIKeySecret.hash("lumen-peer:" + clusterToken)
    }
}
