import Foundation

/// A TCP socket bound to a port of 127.0.0.1 that the system picked, for tests that need a
/// free port or one that is taken.
public enum LoopbackSocket {
    /// Binds a new socket (listening on it when `listening`); returns it and its port.
    public static func bound(listening: Bool) throws -> (socket: Int32, port: Int) {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, length) == 0 && (!listening || listen(socket, 4) == 0) && getsockname(socket, $0, &length) == 0
            }
        }
        guard bound else {
            close(socket)
            throw ServedSluiceError(description: "cannot bind a socket on 127.0.0.1")
        }
        return (socket, Int(UInt16(bigEndian: address.sin_port)))
    }

    /// A port nothing listens on now (the system's pick for a socket bound to port 0).
    public static func freePort() throws -> Int {
        let (socket, port) = try bound(listening: false)
        close(socket)
        return port
    }
}
