using System.Net;
using System.Net.Sockets;

namespace ActorSocket.Actors.Connections;

/// <summary>A plain TCP connection.</summary>
public sealed class SocketTransport : ITransport
{
    private readonly Socket _socket;

    /// <summary>Wraps an accepted socket; the transport owns it from now on.</summary>
    public SocketTransport(Socket socket)
    {
        _socket = socket;
        _socket.NoDelay = true; // frames are written whole and coalesced by the actor
        // Sends are tried without waiting first (see WriteAsync); reads stay asynchronous.
        _socket.Blocking = false;
        RemoteEndPoint = socket.RemoteEndPoint;
    }

    /// <inheritdoc />
    public EndPoint? RemoteEndPoint { get; }

    /// <inheritdoc />
    public bool IsSecure => false;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// A non-blocking send first: it nearly always takes everything, and then no asynchronous
    /// machinery is involved (nor its cached event args, about 300 bytes a socket kept for good).
    /// Whatever the socket buffer cannot take now is sent asynchronously.
    /// </remarks>
    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        int sent = _socket.Send(data.Span, SocketFlags.None, out SocketError error);
        if (error == SocketError.Success && sent == data.Length)
        {
            return ValueTask.CompletedTask;
        }

        if (error is not (SocketError.Success or SocketError.WouldBlock))
        {
            return ValueTask.FromException(new SocketException((int)error));
        }

        return WriteRestAsync(data[sent..], cancellationToken);
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
        _socket.Dispose();
    }

    /// <inheritdoc />
    public void Dispose() => _socket.Dispose();
}
