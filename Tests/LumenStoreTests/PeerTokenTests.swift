import Foundation
import LumenStore
import Testing

@Suite struct PeerTokenTests {
    let clusterToken = "0123456789abcdef0123456789abcdef0123456789abcdef"

    @Test func aPeerTokenIsTheHMACOfTheNodesName() {
        let key = PeerToken.Key(clusterToken: clusterToken)
        // echo -n "lumen-peer:b" | openssl dgst -sha256 -hmac "$clusterToken"
        #expect(key.token(for: "b") == "lpt_6429d9ba8e1eb2189c809ccb4a38593eb425d226825d0ed238a6da198e44a235")
        #expect(PeerToken.derive(clusterToken: clusterToken, node: "b") == key.token(for: "b"))
    }

    @Test func eachNodeHasItsOwnTokenAndOnlyItsOwnVerifies() {
        let key = PeerToken.Key(clusterToken: clusterToken)
        let a = key.token(for: "a"), b = key.token(for: "b")
        #expect(a != b)
        #expect(key.verify(a, node: "a") && key.verify(b, node: "b"))
        #expect(!key.verify(a, node: "b") && !key.verify(b, node: "a"))
        // Neither the old unsalted hash nor another cluster's token passes.
        #expect(!key.verify(PeerToken.scheme + APIKeySecret.hash("lumen-peer:" + clusterToken), node: "a"))
        #expect(!key.verify(PeerToken.Key(clusterToken: clusterToken + "x").token(for: "a"), node: "a"))
        #expect(!key.verify("", node: "a") && !key.verify(String(a.dropLast()), node: "a"))
        #expect(!"\(key)".contains(clusterToken), "a key never prints its secret")
    }

    @Test func weakClusterTokensAreNamedWithHowToMakeOne() {
        #expect(PeerToken.weakness(ofClusterToken: "e2e-cluster-token")?.contains("openssl rand -hex 32") == true)
        #expect(PeerToken.weakness(ofClusterToken: String(repeating: "ab", count: 20)) != nil)
        #expect(PeerToken.weakness(ofClusterToken: clusterToken) == nil)
        #expect(PeerToken.weakness(ofClusterToken: APIKeySecret.generate()) == nil)
    }
}
