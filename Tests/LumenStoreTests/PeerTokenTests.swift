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

    /// A pull token opens nothing a peer token opens and the other way round; a snapshot's
    /// signature holds for its own bytes and this cluster's token only.
    @Test func pullTokensAndSnapshotSignaturesAreTheirOwn() {
        let key = PeerToken.Key(clusterToken: clusterToken)
        let pull = key.pullToken(for: "a")
        #expect(pull.hasPrefix(PeerToken.pullScheme) && pull != key.token(for: "a"))
        #expect(key.verifyPull(pull, node: "a") && !key.verifyPull(pull, node: "b"))
        #expect(!key.verifyPull(key.token(for: "a"), node: "a") && !key.verify(pull, node: "a"))
        let body = Data(#"{"revision":2}"#.utf8)
        let signature = key.signature(ofSnapshot: body)
        #expect(signature.count == 64 && key.verifySnapshot(body, signature: signature))
        #expect(!key.verifySnapshot(Data(#"{"revision":3}"#.utf8), signature: signature))
        #expect(!PeerToken.Key(clusterToken: clusterToken + "x").verifySnapshot(body, signature: signature))
        #expect(!key.verifySnapshot(body, signature: ""))
    }

    @Test func weakClusterTokensAreNamedWithHowToMakeOne() {
        #expect(PeerToken.weakness(ofClusterToken: "e2e-cluster-token")?.contains("openssl rand -hex 32") == true)
        #expect(PeerToken.weakness(ofClusterToken: String(repeating: "ab", count: 20)) != nil)
        #expect(PeerToken.weakness(ofClusterToken: clusterToken) == nil)
        #expect(PeerToken.weakness(ofClusterToken: APIKeySecret.generate()) == nil)
    }
}
