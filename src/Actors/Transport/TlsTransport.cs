using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace ActorSocket.Actors.Transport;

/// <summary>TLS over an accepted socket (wss://).</summary>
internal sealed class TlsTransport : ITransport
{
    private readonly Socket _socket;
    private readonly SslStream _stream;
    private readonly X509Certificate2 _certificate;

    /// <summary>Wraps an accepted socket; the TLS handshake runs in <see cref="StartAsync"/>.</summary>
    public TlsTransport(Socket socket, X509Certificate2 certificate)
    {
        _socket = socket;
        _socket.NoDelay = true;
        _certificate = certificate;
        RemoteEndPoint = socket.RemoteEndPoint;
        _stream = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
    }

    /// <inheritdoc />
    public EndPoint? RemoteEndPoint { get; }

    /// <inheritdoc />
    public bool IsSecure => true;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) =>
        _stream.AuthenticateAsServerAsync(
            new SslServerAuthenticationOptions
            {
                ServerCertificate = _certificate,
                ClientCertificateRequired = false,
                // HTTP/1.1 only: WebSocket over HTTP/2 (RFC 8441) is not served.
                ApplicationProtocols = [SslApplicationProtocol.Http11],
            },
            cancellationToken);

    /// <inheritdoc />
    public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        _stream.ReadAsync(buffer, cancellationToken);

    /// <inheritdoc />
    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        _stream.WriteAsync(data, cancellationToken);

    /// <inheritdoc />
    public void ShutdownSend() => SocketEnding.ShutdownSend(_socket);

    /// <inheritdoc />
    public void Abort()
    {
        SocketEnding.PrepareAbort(_socket);
        _stream.Dispose();
    }

    /// <inheritdoc />
    public void Dispose() => _stream.Dispose();
}
