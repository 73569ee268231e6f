using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using ActorSocket.Protocol.Deflate;
using ActorSocket.Protocol.Framing;

namespace ActorSocket.Protocol;

public sealed partial class WebSocketCodec
{
    private Deflater? _deflater;
    private PooledBuffer? _compressed;

    // Where the automatic pong queued last starts in the unsent bytes, while it is still their tail; -1 otherwise.
    private int _pongStart = -1;

    /// <summary>Bytes encoded and waiting for the transport.</summary>
    public int OutgoingLength => _outgoing.Length;

    /// <summary>Queues a text message. False (and nothing queued) once this end has sent its close frame.</summary>
    /// <param name="utf8">The message as UTF-8; the caller guarantees it is valid.</param>
    public bool SendText(ReadOnlySpan<byte> utf8) => SendMessage(Opcode.Text, utf8);

    /// <summary>Queues a binary message. False (and nothing queued) once this end has sent its close frame.</summary>
    public bool SendBinary(ReadOnlySpan<byte> data) => SendMessage(Opcode.Binary, data);

    /// <summary>Queues a ping (payload at most 125 bytes). False once this end has sent its close frame.</summary>
    public bool SendPing(ReadOnlySpan<byte> payload) => SendControl(Opcode.Ping, payload);

    /// <summary>Queues an unsolicited pong, a one-way heartbeat (RFC 6455 5.5.3). False once closed.</summary>
    public bool SendPong(ReadOnlySpan<byte> payload) => SendControl(Opcode.Pong, payload);

    /// <summary>
    /// Queues one frame exactly as given: for fragmenting a message by hand (tests, clients). No
    /// compression is applied; the caller keeps to the fragmentation rules of RFC 6455 5.4.
    /// </summary>
    public bool SendFrame(Opcode opcode, ReadOnlySpan<byte> payload, bool fin)
    {
        if (((int)opcode & 0x08) != 0 && (!fin || payload.Length > 125))
        {
            throw new ArgumentException("Control frames are never fragmented and carry at most 125 bytes.", nameof(payload));
        }

        if (CloseSent)
        {
            return false;
        }

        WriteFrame(opcode, payload, fin, rsv1: false);
        return true;
    }

    /// <summary>
    /// Queues a complete frame that was encoded beforehand with
    /// <see cref="FrameWriter.EncodeServerFrame"/>: the encode-once path of a fan-out. Server role only.
    /// </summary>
    public bool SendEncodedFrame(ReadOnlySpan<byte> frame)
    {
        if (_role != Role.Server)
        {
            throw new InvalidOperationException("Pre-encoded frames are unmasked: only a server may send them.");
        }

        if (CloseSent)
        {
            return false;
        }

        _outgoing.Write(frame);
        _pongStart = -1;
        return true;
    }

    /// <summary>
    /// Starts the closing handshake (RFC 6455 7.1.2) with <paramref name="code"/> and an optional
    /// reason of at most 123 UTF-8 bytes, or answers the peer's close. False when a close frame was
    /// already sent. <see cref="CloseCode.NoStatusReceived"/> without a reason sends an empty close frame.
    /// </summary>
    public bool SendClose(CloseCode code, string? reason = null)
    {
        if (code == CloseCode.NoStatusReceived && string.IsNullOrEmpty(reason))
        {
            // 1005 means "no status": an empty close frame, as the echo of an empty one.
            if (CloseSent)
            {
                return false;
            }

            WriteClose(null, ReadOnlySpan<byte>.Empty);
            return true;
        }

        if (!CloseCodes.IsValidOnWire((int)code))
        {
            throw new ArgumentOutOfRangeException(nameof(code), code, "This close code may not be sent on the wire.");
        }

        byte[] reasonBytes = reason is null ? [] : Encoding.UTF8.GetBytes(reason);
        if (reasonBytes.Length > 123)
        {
            throw new ArgumentException("A close reason is at most 123 UTF-8 bytes.", nameof(reason));
        }

        if (CloseSent)
        {
            return false;
        }

        WriteClose(code, reasonBytes);
        return true;
    }

    /// <summary>The encoded bytes waiting for the transport; valid until the codec is next called.</summary>
    public ReadOnlySpan<byte> PeekOutgoing() => _outgoing.Span;

    /// <summary>Marks <paramref name="count"/> bytes of <see cref="PeekOutgoing"/> as sent.</summary>
    public void ConsumeOutgoing(int count)
    {
        _outgoing.Consume(count);
        _pongStart = -1;
    }

    /// <summary>Moves every queued byte to <paramref name="writer"/>; returns how many.</summary>
    public int WriteOutgoing(IBufferWriter<byte> writer)
    {
        int length = _outgoing.Length;
        if (length > 0)
        {
            writer.Write(_outgoing.Span);
            _outgoing.Release();
        }

        _pongStart = -1;
        return length;
    }

    private bool SendMessage(Opcode opcode, ReadOnlySpan<byte> payload)
    {
        if (CloseSent)
        {
            return false;
        }

        if (_deflate is not null && !payload.IsEmpty && payload.Length >= _options.Deflate.MinimumSize && payload.Length <= MaxCompressible)
        {
            _compressed ??= new PooledBuffer();
            if (!OutgoingContextTakeover && SharedDeflater.IsAvailable)
            {
                // No history to keep: a shared compressor, rented for this message.
                SharedDeflater deflater = SharedDeflater.Rent(_options.Deflate.CompressionLevel);
                try
                {
                    deflater.Compress(payload, _compressed);
                }
                catch
                {
                    deflater.Dispose(); // its stream may hold half a message: not shared again
                    throw;
                }

                SharedDeflater.Return(deflater);
            }
            else
            {
                _deflater ??= new Deflater(OutgoingContextTakeover, _options.Deflate.CompressionLevel);
                _deflater.Compress(payload, _compressed);
            }

            WriteFrame(opcode, _compressed.Span, fin: true, rsv1: true);
            _compressed.Release();
            return true;
        }

        WriteFrame(opcode, payload, fin: true, rsv1: false);
        return true;
    }

    /// <summary>
    /// How this server connection compresses a message when each one is compressed on its own
    /// with a shared compressor (no context takeover): then a compressed frame made once with these
    /// parameters serves every connection that has the same ones (a topic's fan-out). Null when it
    /// does not compress, keeps context between messages, or has no shared compressor.
    /// </summary>
    internal SharedCompression? SharedCompression =>
        _deflate is not null && _role == Role.Server && !OutgoingContextTakeover && SharedDeflater.IsAvailable
            ? new SharedCompression(_options.Deflate.CompressionLevel, _options.Deflate.MinimumSize, MaxCompressible)
            : null;

    private int OutgoingWindowBits => _role == Role.Server ? _deflate!.ServerMaxWindowBits : _deflate!.ClientMaxWindowBits;

    // zlib always compresses with a 32 KiB window. With a smaller window agreed, a message that is
    // no longer than that window, compressed with a fresh context, cannot refer back any further.
    private int MaxCompressible => OutgoingWindowBits >= 15 ? int.MaxValue : 1 << OutgoingWindowBits;

    private bool OutgoingContextTakeover =>
        OutgoingWindowBits >= 15
        && !(_role == Role.Server ? _deflate!.ServerNoContextTakeover : _deflate!.ClientNoContextTakeover);

    private bool SendControl(Opcode opcode, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > 125)
        {
            throw new ArgumentException("A control frame carries at most 125 bytes.", nameof(payload));
        }

        if (CloseSent)
        {
            return false;
        }

        WriteFrame(opcode, payload, fin: true, rsv1: false);
        return true;
    }

    private void WriteClose(CloseCode? code, ReadOnlySpan<byte> reason)
    {
        Span<byte> body = stackalloc byte[125];
        int length = 0;
        if (code.HasValue)
        {
            BinaryPrimitives.WriteUInt16BigEndian(body, (ushort)code.Value);
            int reasonLength = Math.Min(reason.Length, 123);
            reason[..reasonLength].CopyTo(body[2..]);
            length = 2 + reasonLength;
        }

        WriteFrame(Opcode.Close, body[..length], fin: true, rsv1: false);
        CloseSent = true;
        PendingCloseCode = null;
        PendingCloseReason = null;
        // A failed connection does not wait for the peer's close (RFC 6455 7.1.7).
        State = CloseReceived || _failed ? CodecState.Closed : CodecState.Closing;
    }

    /// <summary>
    /// Whether an automatic pong replaces the one queued before it while that one is still unsent
    /// and last in the queue. The owner sets it while the transport is not taking bytes (a send in
    /// flight): a peer that floods pings and does not read then queues one pong, not one per ping.
    /// Off, every ping gets its own pong, as strict clients expect.
    /// </summary>
    /// <remarks>RFC 6455 5.5.3: "If an endpoint receives a Ping frame and has not yet sent Pong
    /// frame(s) in response to previous Ping frame(s), the endpoint MAY elect to send a Pong frame
    /// for only the most recently processed Ping frame."</remarks>
    public bool CoalescePongs { get; set; }

    /// <summary>Queues the automatic answer to a ping, replacing the unsent one before it when <see cref="CoalescePongs"/> is on.</summary>
    private void QueuePong(ReadOnlySpan<byte> payload)
    {
        if (CoalescePongs && _pongStart >= 0 && _pongStart <= _outgoing.Length)
        {
            _outgoing.Truncate(_outgoing.Length - _pongStart);
        }

        int start = _outgoing.Length;
        WriteFrame(Opcode.Pong, payload, fin: true, rsv1: false);
        _pongStart = start;
    }

    private void WriteFrame(Opcode opcode, ReadOnlySpan<byte> payload, bool fin, bool rsv1)
    {
        _pongStart = -1; // whatever follows a queued pong keeps it where it is
        uint? mask = null;
        if (_role == Role.Client)
        {
            // RFC 6455 5.3: "The masking key needs to be unpredictable".
            Span<byte> key = stackalloc byte[4];
            RandomNumberGenerator.Fill(key);
            mask = Masking.ReadKey(key);
        }

        FrameWriter.WriteFrame(_outgoing, opcode, payload, fin, rsv1, mask);
    }
}
