public import Foundation
import Crypto

/// What agents send each other on the public API when one serves a model hosted on another:
/// `lpt_` and the hex HMAC-SHA256, keyed with the cluster token, of `lumen-peer:` and the calling
/// node's name, which travels beside it in `x-lumen-peer-node`. Each node's token differs, so a
/// host knows (and its ledger says) which node called, and one node's token cannot pose as another's.
/// The cluster token itself (which can push state) never travels on the public port.
public enum PeerToken {
    public static let scheme = "lpt_"
    /// The header naming the calling node.
    public static let nodeHeader = "x-lumen-peer-node"
    /// The scheme of a pull token (`Key.pullToken`).
    public static let pullScheme = "lpl_"
    /// The header a handed-over snapshot's signature travels in (`Key.signature(ofSnapshot:)`).
    public static let snapshotSignatureHeader = "x-lumen-snapshot-signature"

    /// The key peer tokens are made with: the cluster token, kept out of descriptions and logs.
    public struct Key: Sendable, CustomStringConvertible {
        // Bytes, not a SymmetricKey: that type is not Sendable.
        private let secret: [UInt8]

        public init(clusterToken: String) {
            secret = Array(clusterToken.utf8)
        }

        public var description: String { "PeerToken.Key(redacted)" }

        /// The bearer token node `node` sends.
        public func token(for node: String) -> String {
            PeerToken.scheme + code(Data(("lumen-peer:" + node).utf8))
        }

        /// Whether `presented` is node `node`'s token, compared in constant time.
        public func verify(_ presented: String, node: String) -> Bool {
            APIKeySecret.constantTimeEquals(presented, token(for: node))
        }

        /// The bearer token node `node` pulls a peer's revision and snapshot with (admin API,
        /// read-only): a pull never hands the cluster token to an address read from a snapshot.
        public func pullToken(for node: String) -> String {
            PeerToken.pullScheme + code(Data(("lumen-pull:" + node).utf8))
        }

        /// Whether `presented` is node `node`'s pull token, compared in constant time.
        public func verifyPull(_ presented: String, node: String) -> Bool {
            APIKeySecret.constantTimeEquals(presented, pullToken(for: node))
        }

        /// What an agent signs the snapshot it hands over with: only a holder of the cluster token
        /// can make it, so a puller applies no snapshot from an address posing as a peer.
        public func signature(ofSnapshot body: Data) -> String {
            code(Data("lumen-snapshot:".utf8) + body)
        }

        /// Whether `signature` is `body`'s, compared in constant time.
        public func verifySnapshot(_ body: Data, signature: String) -> Bool {
            APIKeySecret.constantTimeEquals(signature, self.signature(ofSnapshot: body))
        }

        private func code(_ message: Data) -> String {
            Self.hex(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: secret)))
        }

        private static func hex(_ code: some Sequence<UInt8>) -> String {
            let digits = Array("0123456789abcdef".utf8)
            var hex = [UInt8]()
            hex.reserveCapacity(64)
            for byte in code {
                hex.append(digits[Int(byte >> 4)])
                hex.append(digits[Int(byte & 0x0F)])
            }
            return String(decoding: hex, as: UTF8.self)
        }
    }

    /// The bearer token node `node` sends to its peers.
    public static func derive(clusterToken: String, node: String) -> String {
        Key(clusterToken: clusterToken).token(for: node)
    }

    /// The shortest cluster token an agent accepts. 32 characters of `openssl rand -hex 32` (64
    /// hex digits) or of lumenctl up's generated token carry well over 128 bits.
    public static let minimumClusterTokenLength = 32

    /// Why `token` is too weak to be a cluster token, or nil when it is strong enough.
    public static func weakness(ofClusterToken token: String) -> String? {
        if token.count < minimumClusterTokenLength {
            return "the cluster token has \(token.count) characters; it needs at least \(minimumClusterTokenLength). Make one with: openssl rand -hex 32"
        }
        if Set(token).count < 8 {
            return "the cluster token repeats too few characters to be secret. Make one with: openssl rand -hex 32"
        }
        return nil
    }
}
