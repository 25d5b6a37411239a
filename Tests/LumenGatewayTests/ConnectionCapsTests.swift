import Logging
import LumenAPI
import LumenGateway
import NIOCore
import Testing

@Suite struct ConnectionCapsTests {
    /// One IPv6 host usually holds a whole /64: its addresses count as one client; an IPv4-mapped
    /// address counts as its IPv4 address.
    @Test func clientsAreCountedByIPv4AddressOrIPv6Slash64() throws {
        let first = ConnectionLimiter.key(try SocketAddress(ipAddress: "2001:db8:1:2::1", port: 1))
        let sameNetwork = ConnectionLimiter.key(try SocketAddress(ipAddress: "2001:db8:1:2:ffff::9", port: 2))
        let otherNetwork = ConnectionLimiter.key(try SocketAddress(ipAddress: "2001:db8:1:3::1", port: 1))
        #expect(first == sameNetwork && first != otherNetwork)
        #expect(ConnectionLimiter.key(try SocketAddress(ipAddress: "::ffff:10.0.0.7", port: 1)) == "10.0.0.7")
        #expect(ConnectionLimiter.key(try SocketAddress(ipAddress: "10.0.0.7", port: 9)) == "10.0.0.7")
    }

    @Test func capsRefuseOverTheirLimitAndReleasedPlacesAreReused() {
        let limiter = ConnectionLimiter(maxConnections: 3, maxConnectionsPerAddress: 2)
        #expect(limiter.admit("a") == nil && limiter.admit("a") == nil)
        #expect(limiter.admit("a") == .perAddress(2))
        #expect(limiter.admit("b") == nil)
        #expect(limiter.admit("c") == .total(3))
        limiter.release("a")
        #expect(limiter.admit("c") == nil && limiter.open == 3)
    }

    /// Under a 256-file limit the caps shrink to what the descriptors hold, and one address gets at
    /// most half of a listener, so a flood from it leaves room for everyone else.
    @Test func capsFitTheOpenFileLimit() throws {
        var configuration = GatewayConfiguration()
        configuration.fitConnectionCaps(openFiles: 256, logger: Logger(label: "test"))
        let publicCap = try #require(configuration.publicListener.maxConnections)
        #expect(publicCap < 256 / 2)
        #expect((configuration.publicListener.maxConnectionsPerAddress ?? .max) <= publicCap / 2)
        #expect((configuration.adminListener.maxConnectionsPerAddress ?? .max) < (configuration.adminListener.maxConnections ?? 0))

        var roomy = GatewayConfiguration()
        roomy.fitConnectionCaps(openFiles: 1 << 20, logger: Logger(label: "test"))
        #expect(roomy.publicListener.maxConnections == 4096 && roomy.publicListener.maxConnectionsPerAddress == 1024)
    }
}
