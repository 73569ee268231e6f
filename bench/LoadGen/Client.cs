using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace LoadGen;

/// <summary>
/// One client connection with framing of its own (not the server's codec: a shared bug would cancel
/// out): the upgrade, masked client frames, unmasked server frames parsed in place, pings answered.
/// </summary>
public sealed class Client : IDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _buffer;
    private int _start;
    private int _end;
    private readonly SemaphoreSlim _sendLock = new(1, 1);

    private Client(Socket socket, int bufferSize)
    {
        _socket = socket;
        _buffer = new byte[bufferSize];
    }

    /// <summary>Bytes of one received message, valid until the next receive.</summary>
    public delegate void MessageHandler(ReadOnlySpan<byte> payload);

    public bool Closed { get; private set; }

    /// <summary>Connects (from <paramref name="source"/> when given) and completes the upgrade.</summary>
    public static async Task<Client> ConnectAsync(Uri url, IPAddress? source, int bufferSize, CancellationToken cancellation)
    {
        IPAddress host = IPAddress.Parse(url.Host == "localhost" ? "127.0.0.1" : url.Host);
        if (!IPAddress.IsLoopback(host))
        {
            throw new ArgumentException("loadgen targets loopback only, not " + url.Host);
        }

        var socket = new Socket(host.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (source is not null)
            {
                socket.Bind(new IPEndPoint(source, 0));
            }

            await socket.ConnectAsync(new IPEndPoint(host, url.Port), cancellation);
            string key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            string request = $"GET {url.PathAndQuery} HTTP/1.1\r\nHost: {url.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n";
            await socket.SendAsync(Encoding.ASCII.GetBytes(request), cancellation);
            var client = new Client(socket, bufferSize);
            await client.ReadHandshakeAsync(cancellation);
            return client;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Encodes a masked client frame (text unless <paramref name="first"/> says otherwise) once; send it as often as needed.</summary>
    public static byte[] EncodeFrame(ReadOnlySpan<byte> payload, out int payloadOffset, byte first = 0x81)
    {
        int header = payload.Length < 126 ? 2 : payload.Length < 65536 ? 4 : 10;
        var frame = new byte[header + 4 + payload.Length];
        frame[0] = first;
        if (header == 2)
        {
            frame[1] = (byte)(0x80 | payload.Length);
        }
        else if (header == 4)
        {
            frame[1] = 0x80 | 126;
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)payload.Length);
        }
        else
        {
            frame[1] = 0x80 | 127;
            BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(2), (ulong)payload.Length);
        }

        RandomNumberGenerator.Fill(frame.AsSpan(header, 4));
        payloadOffset = header + 4;
        payload.CopyTo(frame.AsSpan(payloadOffset));
        Mask(frame, payloadOffset, 0, payload.Length);
        return frame;
    }

    /// <summary>XORs <paramref name="count"/> payload bytes from <paramref name="from"/> with the frame's key.</summary>
    public static void Mask(byte[] frame, int payloadOffset, int from, int count)
    {
        Span<byte> key = frame.AsSpan(payloadOffset - 4, 4);
        for (int i = from; i < from + count; i++)
        {
            frame[payloadOffset + i] ^= key[i & 3];
        }
    }

    /// <summary>Sends bytes (frames); concurrent senders are serialized.</summary>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellation = default)
    {
        await _sendLock.WaitAsync(cancellation);
        try
        {
            while (bytes.Length > 0)
            {
                int sent = await _socket.SendAsync(bytes, SocketFlags.None, cancellation);
                bytes = bytes[sent..];
            }
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Receives until the connection ends or <paramref name="cancellation"/> fires, calling <paramref name="onMessage"/> per data frame.</summary>
    public async Task ReceiveLoopAsync(MessageHandler onMessage, CancellationToken cancellation, Func<ValueTask>? afterEachRead = null)
    {
        try
        {
            while (!cancellation.IsCancellationRequested)
            {
                if (_end == _buffer.Length)
                {
                    Compact();
                }

                int read = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellation);
                if (read == 0)
                {
                    break;
                }

                _end += read;
                if (!await ParseAsync(onMessage))
                {
                    break;
                }

                if (afterEachRead is not null)
                {
                    await afterEachRead();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (SocketException)
        {
        }
        finally
        {
            Closed = true;
        }
    }

    /// <summary>Waits for data with a zero-byte receive (no buffer held), answering pings; for idle connections.</summary>
    public async Task IdleLoopAsync(CancellationToken cancellation)
    {
        try
        {
            while (!cancellation.IsCancellationRequested)
            {
                await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, cancellation);
                int read = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellation);
                if (read == 0)
                {
                    break;
                }

                _end += read;
                if (!await ParseAsync(static _ => { }))
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (SocketException)
        {
        }
        finally
        {
            Closed = true;
        }
    }

    /// <summary>A normal close frame (1000), best effort.</summary>
    public async Task CloseAsync()
    {
        try
        {
            byte[] close = EncodeFrame([0x03, 0xE8], out _);
            close[0] = 0x88;
            await SendAsync(close).AsTask().WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (Exception error) when (error is SocketException or ObjectDisposedException or TimeoutException or OperationCanceledException)
        {
        }
    }

    public void Dispose()
    {
        _socket.Dispose();
        _sendLock.Dispose();
    }

    private async Task ReadHandshakeAsync(CancellationToken cancellation)
    {
        while (true)
        {
            int read = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellation);
            if (read == 0)
            {
                throw new IOException("the server closed during the handshake");
            }

            _end += read;
            int headEnd = _buffer.AsSpan(0, _end).IndexOf("\r\n\r\n"u8);
            if (headEnd >= 0)
            {
                if (!_buffer.AsSpan(0, _end).StartsWith("HTTP/1.1 101"u8))
                {
                    throw new IOException("handshake refused: " + Encoding.ASCII.GetString(_buffer, 0, Math.Min(_end, 64)).Split('\r')[0]);
                }

                _start = headEnd + 4;
                return;
            }
        }
    }

    /// <summary>Parses every complete frame; false on a close frame.</summary>
    private async ValueTask<bool> ParseAsync(MessageHandler onMessage)
    {
        while (true)
        {
            int available = _end - _start;
            if (available < 2)
            {
                break;
            }

            byte opcode = (byte)(_buffer[_start] & 0x0F);
            int length = _buffer[_start + 1] & 0x7F;
            int header = 2;
            if (length == 126)
            {
                if (available < 4)
                {
                    break;
                }

                length = BinaryPrimitives.ReadUInt16BigEndian(_buffer.AsSpan(_start + 2));
                header = 4;
            }
            else if (length == 127)
            {
                if (available < 10)
                {
                    break;
                }

                length = checked((int)BinaryPrimitives.ReadUInt64BigEndian(_buffer.AsSpan(_start + 2)));
                header = 10;
            }

            if (header + length > _buffer.Length)
            {
                throw new IOException("a frame larger than the client's buffer");
            }

            if (available < header + length)
            {
                break;
            }

            int payload = _start + header;
            _start += header + length;
            switch (opcode)
            {
                case 0x1 or 0x2 or 0x0:
                    onMessage(_buffer.AsSpan(payload, length));
                    break;
                case 0x9:
                    byte[] pong = EncodeFrame(_buffer.AsSpan(payload, length), out _);
                    pong[0] = 0x8A;
                    await SendAsync(pong);
                    break;
                case 0x8:
                    return false;
            }
        }

        if (_start == _end)
        {
            _start = _end = 0;
        }

        return true;
    }

    private void Compact()
    {
        Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
        _end -= _start;
        _start = 0;
    }
}
