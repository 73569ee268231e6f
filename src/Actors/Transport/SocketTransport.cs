using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Akka.Actor;

namespace ActorSocket.Actors.Transport;

/// <summary>
/// A plain TCP connection. On Linux its actor reads it on readiness (<see cref="WatchReadable"/>,
/// <see cref="Receive"/>); elsewhere through <see cref="ReadAsync"/>.
/// </summary>
internal sealed class SocketTransport : ITransport
{
    private readonly Socket _socket;
    private readonly ReadinessPoller? _poller;
    private ReadinessPoller? _watchedBy;
    private int _registration = -1;

    /// <summary>Wraps an accepted socket; the transport owns it from now on.</summary>
    /// <param name="socket">The accepted socket.</param>
    /// <param name="readiness">Read on epoll readiness where the platform has it (see <see cref="ReadinessPoller"/>); false for .NET's asynchronous receive.</param>
    public SocketTransport(Socket socket, bool readiness = true)
    {
        _socket = socket;
        _socket.NoDelay = true; // frames are written whole and coalesced by the actor
        _poller = readiness ? ReadinessPoller.Shared : null;
        if (_poller is null)
        {
            // Sends are tried without waiting first (see WriteAsync); reads stay asynchronous.
            _socket.Blocking = false;
        }

        RemoteEndPoint = socket.RemoteEndPoint;
    }

    /// <summary>Why plain connections cannot read on readiness in this process (not Linux, ...), or null when they can.</summary>
    public static string? ReadinessUnavailable => ReadinessPoller.Shared is null ? ReadinessPoller.Unavailable : null;

    /// <inheritdoc />
    public EndPoint? RemoteEndPoint { get; }

    /// <inheritdoc />
    public bool IsSecure => false;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Has <see cref="ReadinessPoller.ReadReady"/> told to <paramref name="target"/> whenever data
    /// arrives, from now until the transport is disposed; false where there is no poller. Called on
    /// an event loop's thread (the actor runs there), the socket joins that loop.
    /// </summary>
    internal bool WatchReadable(IActorRef target)
    {
        if (_poller is null)
        {
            return false;
        }

        SafeSocketHandle handle = _socket.SafeHandle;
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            ReadinessPoller poller = ReadinessPoller.Current ?? _poller;
            _registration = poller.Register((int)handle.DangerousGetHandle(), target);
            _watchedBy = poller;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }

        return true;
    }

    /// <summary>
    /// Reads what is there without waiting: the count (0 = the peer closed its side), or -1 with
    /// <paramref name="error"/> <see cref="SocketError.WouldBlock"/> when nothing is.
    /// </summary>
    internal int Receive(Span<byte> buffer, out SocketError error)
    {
        while (true)
        {
            nint count;
            try
            {
                count = Native.recv(_socket.SafeHandle, ref MemoryMarshal.GetReference(buffer), buffer.Length, Native.MsgDontWait);
            }
            catch (ObjectDisposedException)
            {
                error = SocketError.OperationAborted;
                return -1;
            }

            if (count >= 0)
            {
                error = SocketError.Success;
                return (int)count;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno != Native.Eintr)
            {
                error = Native.ToSocketError(errno);
                return -1;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// A send without waiting first: it nearly always takes everything, and then no asynchronous
    /// machinery is involved (nor its cached event args, about 300 bytes a socket kept for good).
    /// Whatever the socket buffer cannot take now is sent asynchronously.
    /// </remarks>
    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        int sent = _poller is null ? _socket.Send(data.Span, SocketFlags.None, out SocketError error) : SendNow(data.Span, out error);
        if (error == SocketError.Success && sent == data.Length)
        {
            return ValueTask.CompletedTask;
        }

        if (error is not (SocketError.Success or SocketError.WouldBlock))
        {
            return ValueTask.FromException(new SocketException((int)error));
        }

        return WriteRestAsync(data[Math.Max(sent, 0)..], cancellationToken);
    }

    private int SendNow(ReadOnlySpan<byte> data, out SocketError error)
    {
        int total = 0;
        while (total < data.Length)
        {
            nint count;
            try
            {
                count = Native.send(_socket.SafeHandle, ref MemoryMarshal.GetReference(data[total..]), data.Length - total, Native.MsgDontWait | Native.MsgNoSignal);
            }
            catch (ObjectDisposedException)
            {
                error = SocketError.OperationAborted;
                return total;
            }

            if (count >= 0)
            {
                total += (int)count;
                continue;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno != Native.Eintr)
            {
                error = Native.ToSocketError(errno);
                return total;
            }
        }

        error = SocketError.Success;
        return total;
    }

    private async ValueTask WriteRestAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            int sent = await _socket.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            data = data[sent..];
        }
    }

    /// <inheritdoc />
    public void ShutdownSend() => SocketEnding.ShutdownSend(_socket);

    /// <inheritdoc />
    public void Abort()
    {
        SocketEnding.PrepareAbort(_socket);
        Dispose();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_registration >= 0)
        {
            _watchedBy!.Unregister(_registration);
            _registration = -1;
        }

        _socket.Dispose();
    }
}
