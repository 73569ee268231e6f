using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace ActorSocket.Actors.Transport;

/// <summary>
/// The few Linux calls the readiness path needs (<see cref="ReadinessPoller"/>, <see cref="SocketTransport"/>).
/// Socket calls take the <see cref="SafeSocketHandle"/>, so the marshaller holds a reference across
/// the call: a socket disposed meanwhile throws <see cref="ObjectDisposedException"/> instead of
/// reading a descriptor number the kernel may already have given to another connection.
/// </summary>
internal static class Native
{
    /// <summary><c>MSG_DONTWAIT</c>: this call does not wait, whatever the descriptor's mode.</summary>
    public const int MsgDontWait = 0x40;

    /// <summary><c>MSG_NOSIGNAL</c>: a peer gone gives EPIPE, not SIGPIPE.</summary>
    public const int MsgNoSignal = 0x4000;

    /// <summary><c>EAGAIN</c> (= <c>EWOULDBLOCK</c> on Linux).</summary>
    public const int Eagain = 11;

    /// <summary><c>EINTR</c>.</summary>
    public const int Eintr = 4;

    private const string Libc = "libc";

#pragma warning disable SYSLIB1054 // LibraryImport's generated marshalling would need unsafe code; these signatures are blittable.
    [DllImport(Libc, SetLastError = true)]
    public static extern int epoll_create1(int flags);

    [DllImport(Libc, SetLastError = true)]
    public static extern int epoll_ctl(int epfd, int op, int fd, ref byte ev);

    [DllImport(Libc, SetLastError = true)]
    public static extern int epoll_wait(int epfd, [Out] byte[] events, int maxEvents, int timeout);

    [DllImport(Libc, SetLastError = true)]
    public static extern int eventfd(uint initval, int flags);

    [DllImport(Libc, SetLastError = true)]
    public static extern nint read(int fd, ref ulong value, nint count);

    [DllImport(Libc, SetLastError = true)]
    public static extern nint write(int fd, ref ulong value, nint count);

    [DllImport(Libc, SetLastError = true)]
    public static extern nint recv(SafeSocketHandle fd, ref byte buffer, nint length, int flags);

    [DllImport(Libc, SetLastError = true)]
    public static extern nint send(SafeSocketHandle fd, ref byte buffer, nint length, int flags);
#pragma warning restore SYSLIB1054

    /// <summary>The <see cref="SocketError"/> for an errno from a socket call.</summary>
    public static SocketError ToSocketError(int errno) => errno switch
    {
        Eagain => SocketError.WouldBlock,
        Eintr => SocketError.Interrupted,
        32 => SocketError.Shutdown, // EPIPE
        104 => SocketError.ConnectionReset, // ECONNRESET
        103 => SocketError.ConnectionAborted, // ECONNABORTED
        110 => SocketError.TimedOut, // ETIMEDOUT
        107 => SocketError.NotConnected, // ENOTCONN
        113 => SocketError.HostUnreachable, // EHOSTUNREACH
        101 => SocketError.NetworkUnreachable, // ENETUNREACH
        9 => SocketError.OperationAborted, // EBADF
        _ => SocketError.SocketError,
    };
}
