import Foundation

/// Free TCP ports on 127.0.0.1 for servers a test starts on a port it chooses (and may start
/// again on the same one after a kill).
public enum LoopbackPort {
    /// A port free at the time of the call, below the kernel's ephemeral range
    /// (`net.ipv4.ip_local_port_range`). The kernel never gives such a port to another test's
    /// outgoing connection or to a `:0` listener, so a server killed and started again finds it
    /// free; a port from the ephemeral range (what binding port 0 returns) may meanwhile be the
    /// local end of any connection on the machine.
    public static func belowEphemeralRange() throws -> Int {
        let low = ephemeralRangeStart()
        let range = max(1_024, low - 12_000)..<low
        for _ in 0..<500 {
            let port = Int.random(in: range)
            if try bindable(port) { return port }
        }
        throw PortError(description: "no free port in \(range) after 500 tries")
    }

    /// Whether something accepts a TCP connection on `port` of 127.0.0.1 now.
    public static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// The first port of the ephemeral range; 32768 when it cannot be read.
    private static func ephemeralRangeStart() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8),
            let first = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).first,
            let low = Int(first), low > 2_048
        else { return 32_768 }
        return low
    }

    /// Whether a listening socket can be bound to `port` on 127.0.0.1 now.
    private static func bindable(_ port: Int) throws -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw PortError(description: "socket: \(errno)") }
        defer { close(fd) }
        var address = loopback(port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    private static func loopback(_ port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }

    public struct PortError: Error, CustomStringConvertible {
        public let description: String
    }
}
