using System.Net.Sockets;
using System.Text;
using ActorSocket.Protocol;

namespace ActorSocket.Gateway.Tests;

/// <summary>
/// A hand-driven WebSocket client over a raw socket, for what well-behaved clients never do:
/// unmasked frames, silence instead of pongs, vanishing without a close frame.
/// </summary>
public sealed class RawClient : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly byte[] _buffer = new byte[64 * 1024];

    private RawClient(Socket socket, WebSocketCodec codec)
    {
        Socket = socket;
        Codec = codec;
    }

    public Socket Socket { get; }

    public WebSocketCodec Codec { get; }

    public static async Task<Socket> ConnectSocketAsync(int port, string host = "127.0.0.1")
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(host, port);
        return socket;
    }

    /// <summary>Connects and completes the opening handshake on <paramref name="path"/>.</summary>
    public static async Task<RawClient> ConnectAsync(int port, string path = "/echo", string extraHeaders = "")
    {
        Socket socket = await ConnectSocketAsync(port);
        string request = $"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            $"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{extraHeaders}\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(request));
        string head = await ReadHeadAsync(socket);
        Assert.StartsWith("HTTP/1.1 101 ", head);
        return new RawClient(socket, new WebSocketCodec(Role.Client));
    }

    /// <summary>Sends raw bytes and returns the HTTP response head and body the server answers with.</summary>
    public static async Task<string> HttpAsync(int port, string request, string host = "127.0.0.1")
    {
        using Socket socket = await ConnectSocketAsync(port, host);
        await socket.SendAsync(Encoding.ASCII.GetBytes(request));
        return await ReadToEndAsync(socket);
    }

    public static async Task<string> ReadToEndAsync(Socket socket)
    {
        var text = new StringBuilder();
        byte[] buffer = new byte[4096];
        using var cancellation = new CancellationTokenSource(Patience);
        while (true)
        {
            int read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellation.Token);
            if (read == 0)
            {
                return text.ToString();
            }

            text.Append(Encoding.Latin1.GetString(buffer, 0, read));
        }
    }

    private static async Task<string> ReadHeadAsync(Socket socket)
    {
        var head = new StringBuilder();
        byte[] one = new byte[1];
        using var cancellation = new CancellationTokenSource(Patience);
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            int read = await socket.ReceiveAsync(one, SocketFlags.None, cancellation.Token);
            if (read == 0)
            {
                break;
            }

            head.Append((char)one[0]);
        }

        return head.ToString();
    }

    public Task SendRawAsync(byte[] bytes) => Socket.SendAsync(bytes);

    /// <summary>Sends what the client codec has queued.</summary>
    public async Task FlushAsync()
    {
        byte[] bytes = Codec.PeekOutgoing().ToArray();
        Codec.ConsumeOutgoing(bytes.Length);
        await Socket.SendAsync(bytes);
    }

    /// <summary>Reads until the codec yields an event; a copy of it. ConnectionLost when the server closes TCP.</summary>
    public async Task<(WebSocketEventKind Kind, byte[] Payload, CloseCode Code, string? Reason)> ReadEventAsync(bool answerPings = true)
    {
        using var cancellation = new CancellationTokenSource(Patience);
        while (true)
        {
            if (Codec.TryReadEvent(out WebSocketEvent ev))
            {
                if (answerPings && ev.Kind == WebSocketEventKind.Ping)
                {
                    await FlushAsync();
                }
                else if (!answerPings && ev.Kind == WebSocketEventKind.Ping)
                {
                    Codec.ConsumeOutgoing(Codec.OutgoingLength); // swallow the automatic pong
                }

                return (ev.Kind, ev.Payload.ToArray(), ev.CloseCode, ev.Reason);
            }

            int read = await Socket.ReceiveAsync(_buffer, SocketFlags.None, cancellation.Token);
            if (read == 0)
            {
                Codec.ReceiveEof();
            }
            else
            {
                Codec.ReceiveData(_buffer.AsSpan(0, read));
            }
        }
    }

    /// <summary>Reads events, answering pings, until a text or binary message; returns its payload. Anything else fails the test.</summary>
    public async Task<byte[]> ReadMessageAnsweringPingsAsync()
    {
        while (true)
        {
            var ev = await ReadEventAsync(answerPings: true);
            if (ev.Kind is WebSocketEventKind.Text or WebSocketEventKind.Binary)
            {
                return ev.Payload;
            }

            Assert.Equal(WebSocketEventKind.Ping, ev.Kind);
        }
    }

    /// <summary>Reads events until the server's close frame; returns its code.</summary>
    public async Task<CloseCode> ReadCloseAsync(bool answerPings = true)
    {
        while (true)
        {
            var ev = await ReadEventAsync(answerPings);
            if (ev.Kind is WebSocketEventKind.Close or WebSocketEventKind.ConnectionLost)
            {
                return ev.Code;
            }
        }
    }

    /// <summary>Whether the server closed the TCP connection (read returns 0 or reset) within the patience.</summary>
    public async Task<bool> ServerClosedTcpAsync()
    {
        using var cancellation = new CancellationTokenSource(Patience);
        try
        {
            while (true)
            {
                int read = await Socket.ReceiveAsync(_buffer, SocketFlags.None, cancellation.Token);
                if (read == 0)
                {
                    return true;
                }
            }
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public ValueTask DisposeAsync()
    {
        Socket.Dispose();
        Codec.Dispose();
        return ValueTask.CompletedTask;
    }
}
