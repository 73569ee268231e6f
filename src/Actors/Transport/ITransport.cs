using System.Net;

namespace ActorSocket.Actors.Transport;

/// <summary>
/// The byte stream under one connection: a plain socket or TLS over it. The connection actor is
/// its only user, and never reads it directly: <see cref="TransportReader.Start"/> picks the read
/// strategy (readiness on a <see cref="SocketTransport"/> where the platform has epoll, else an
/// <see cref="AsyncReader"/> over <see cref="ReadAsync"/>) and hands the connection what arrives
/// through <see cref="IReadSink"/>. One read and one write may be outstanding at a time.
/// </summary>
internal interface ITransport : IDisposable
{
    /// <summary>The client's address.</summary>
    EndPoint? RemoteEndPoint { get; }

    /// <summary>Whether bytes are encrypted (wss://).</summary>
    bool IsSecure { get; }

    /// <summary>Anything to do before the first byte (the TLS handshake); completes at once for plain TCP.</summary>
    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Reads into <paramref name="buffer"/>; 0 means the peer closed its side. An empty buffer waits
    /// until data is available without taking any (so idle connections hold no receive buffer).
    /// </summary>
    ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>Writes all of <paramref name="data"/>.</summary>
    ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Ends our sending side gracefully (TCP FIN) after what was written.</summary>
    void ShutdownSend();

    /// <summary>Drops the connection at once (TCP RST when data is unread).</summary>
    void Abort();
}
