import LumenStore
import Testing

@Suite struct APIKeySecretTests {
    @Test func hashIsLowercaseHexSHA256() {
        #expect(APIKeySecret.hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func keysAreWellFormedAndDistinct() {
        let first = APIKeySecret.generate(), second = APIKeySecret.generate()
        #expect(first != second)
        #expect(APIKeySecret.isWellFormed(first) && first.hasPrefix("lmn_") && first.count == 47)
        #expect(APIKeySecret.displayPrefix(first) == String(first.prefix(10)))
        #expect(APIKeySecret.constantTimeEquals(APIKeySecret.hash(first), APIKeySecret.hash(first)))
        #expect(!APIKeySecret.constantTimeEquals(APIKeySecret.hash(first), APIKeySecret.hash(second)))
    }
}
