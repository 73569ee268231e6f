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
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
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
