using System.Buffers.Binary;
using System.Text;
using ActorSocket.Protocol.Deflate;
using ActorSocket.Protocol.Framing;

namespace ActorSocket.Protocol;

public sealed partial class WebSocketCodec
{
    private WebSocketEvent? _pending;
    private bool _failed;

    // The frame being received.
    private bool _inFrame;
    private bool _fin;
    private Opcode _opcode;
    private uint _maskKey;
    private bool _masked;
    private long _payloadLength;
    private long _payloadDone;

    // The message being received; Continuation means "none".
    private Opcode _messageOpcode;
    private bool _messageCompressed;
    private long _messageLength;
    private Utf8Validator _utf8;

    // What the last event's payload points into, released at the next call.
    private int _deliveredInput;
    private bool _deliveredMessage;
    private Inflater? _inflater;

    private enum Step
    {
        NeedMore,
        Continue,
        Event,
    }

    /// <summary>Feeds bytes read from the transport. Invalidates the payload of the last event.</summary>
    public void ReceiveData(ReadOnlySpan<byte> data)
    {
        ReleaseDelivered();
        if (IsInputIgnored)
        {
            return; // RFC 6455 5.5.1: after a close frame nothing more is read.
        }

        _input.Write(data);
    }

    /// <summary>Tells the codec the transport ended. Reports 1006 unless the close handshake finished.</summary>
    public void ReceiveEof()
    {
        ReleaseDelivered();
        if (State == CodecState.Closed)
        {
            return;
        }

        // RFC 6455 7.1.5: "If _The WebSocket Connection is Closed_ and no Close control frame was
        // received by the endpoint ..., _The WebSocket Connection Close Code_ is considered to be 1006."
        State = CodecState.Closed;
        _pending = new WebSocketEvent(WebSocketEventKind.ConnectionLost, default, CloseCode.AbnormalClosure, "connection lost");
        ReleaseReceiveBuffers();
    }

    /// <summary>
    /// Decodes the next event from the bytes received so far; false when more input is needed or
    /// nothing more will come. Invalidates the payload of the previous event.
    /// </summary>
    public bool TryReadEvent(out WebSocketEvent ev)
    {
        ReleaseDelivered();
        while (true)
        {
            if (_pending is { } pending)
            {
                _pending = null;
                ev = pending;
                return true;
            }

            if (IsInputIgnored)
            {
                ReleaseReceiveBuffers();
                ev = default;
                return false;
            }

            Step step = _inFrame ? ReadPayload(out ev) : ReadHeader(out ev);
            if (step == Step.Event)
            {
                return true;
            }

            if (step == Step.NeedMore)
            {
                ev = default;
                return false;
            }
        }
    }

    private bool IsInputIgnored => CloseReceived || _failed || State == CodecState.Closed;

    /// <summary>Whether a frame or a fragmented message has started and not ended: the peer owes us the rest.</summary>
    public bool MessageInProgress => _inFrame || _messageOpcode != Opcode.Continuation || _input.Length > 0;

    /// <summary>
    /// The close frame this end still owes (the echo of the peer's close, or the code that fails the
    /// connection) when <see cref="WebSocketCodecOptions.AutoCloseReply"/> is off; null otherwise.
    /// <see cref="CloseCode.NoStatusReceived"/> stands for an empty close frame.
    /// </summary>
    public CloseCode? PendingCloseCode { get; private set; }

    /// <summary>The reason that goes with <see cref="PendingCloseCode"/>.</summary>
    public string? PendingCloseReason { get; private set; }

    private Step ReadHeader(out WebSocketEvent ev)
    {
        ev = default;
        ReadOnlySpan<byte> data = _input.Span;
        if (data.Length < 2)
        {
            return Step.NeedMore;
        }

        byte first = data[0];
        byte second = data[1];
        bool fin = (first & 0x80) != 0;
        bool rsv1 = (first & 0x40) != 0;
        var opcode = (Opcode)(first & 0x0F);
        bool masked = (second & 0x80) != 0;
        int length7 = second & 0x7F;
        bool control = ((int)opcode & 0x08) != 0;

        // Everything the first two bytes can tell is checked before waiting for the rest.
        // RFC 6455 5.2: "RSV1, RSV2, RSV3 ... MUST be 0 unless an extension is negotiated that
        // defines meanings for non-zero values."
        if ((first & 0x30) != 0)
        {
            return Fail(CloseCode.ProtocolError, "reserved bits set");
        }

        // RFC 6455 5.2: opcodes 0x3-0x7 and 0xB-0xF are reserved.
        if (opcode is not (Opcode.Continuation or Opcode.Text or Opcode.Binary or Opcode.Close or Opcode.Ping or Opcode.Pong))
        {
            return Fail(CloseCode.ProtocolError, "reserved opcode");
        }

        // RFC 7692 6: RSV1 marks the first frame of a compressed data message, nothing else.
        if (rsv1 && (_deflate is null || control || opcode == Opcode.Continuation))
        {
            return Fail(CloseCode.ProtocolError, _deflate is null ? "RSV1 set without an extension" : "RSV1 set on a control or continuation frame");
        }

        if (control)
        {
            // RFC 6455 5.5: "All control frames MUST have a payload length of 125 bytes or less
            // and MUST NOT be fragmented."
            if (!fin)
            {
                return Fail(CloseCode.ProtocolError, "fragmented control frame");
            }

            if (length7 > 125)
            {
                return Fail(CloseCode.ProtocolError, "control frame longer than 125 bytes");
            }
        }
        else if (opcode == Opcode.Continuation && _messageOpcode == Opcode.Continuation)
        {
            // RFC 6455 5.4: a continuation frame continues a message that was started.
            return Fail(CloseCode.ProtocolError, "continuation frame without a message");
        }
        else if (opcode != Opcode.Continuation && _messageOpcode != Opcode.Continuation)
        {
            // RFC 6455 5.4: fragments of different messages are never interleaved.
            return Fail(CloseCode.ProtocolError, "new message inside a fragmented message");
        }

        // RFC 6455 5.1: "The server MUST close the connection upon receiving a frame that is not
        // masked" and "A client MUST close a connection if it detects a masked frame."
        if (_role == Role.Server && !masked)
        {
            return Fail(CloseCode.ProtocolError, "unmasked client frame");
        }

        if (_role == Role.Client && masked)
        {
            return Fail(CloseCode.ProtocolError, "masked server frame");
        }

        int headerLength = 2 + (length7 == 126 ? 2 : length7 == 127 ? 8 : 0) + (masked ? 4 : 0);
        if (data.Length < headerLength)
        {
            return Step.NeedMore;
        }

        long length = length7;
        int position = 2;
        if (length7 == 126)
        {
            length = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
            position = 4;
        }
        else if (length7 == 127)
        {
            ulong length64 = BinaryPrimitives.ReadUInt64BigEndian(data[2..]);
            // RFC 6455 5.2: "the most significant bit MUST be 0".
            if ((length64 & 0x8000_0000_0000_0000UL) != 0)
            {
                return Fail(CloseCode.ProtocolError, "payload length with the top bit set");
            }

            length = (long)length64;
            position = 10;
        }

        if (!control)
        {
            bool compressed = opcode == Opcode.Continuation ? _messageCompressed : rsv1;
            long already = opcode == Opcode.Continuation ? _messageLength : 0;
            // Compared as "length > limit - already": both sides stay within 0..2^63, so a length
            // near 2^63 cannot wrap the sum around and slip under the limit.
            if (length > (compressed ? CompressedLimit : _options.MaxMessageSize) - already)
            {
                // Refused from the header, before a byte of the payload is buffered.
                return Fail(CloseCode.MessageTooBig, "message larger than " + _options.MaxMessageSize + " bytes");
            }

            if (opcode != Opcode.Continuation)
            {
                _messageOpcode = opcode;
                _messageCompressed = rsv1;
                _messageLength = 0;
                _utf8.Reset();
            }
        }

        _maskKey = masked ? Masking.ReadKey(data[position..]) : 0;
        _masked = masked;
        _input.Consume(headerLength);
        _fin = fin;
        _opcode = opcode;
        _payloadLength = length;
        _payloadDone = 0;
        _inFrame = true;
        return Step.Continue;
    }

    // A compressed message may be slightly longer than its content when the data does not compress;
    // allow deflate's worst expansion on top of the limit. The decompressed size is checked exactly.
    private long CompressedLimit => _options.MaxMessageSize + (_options.MaxMessageSize >> 3) + 64;

    private Step ReadPayload(out WebSocketEvent ev)
    {
        ev = default;
        if (((int)_opcode & 0x08) != 0)
        {
            return ReadControl(out ev);
        }

        long remaining = _payloadLength - _payloadDone;
        int available = (int)Math.Min(remaining, _input.Length);
        bool text = _messageOpcode == Opcode.Text && !_messageCompressed;

        if (_fin && _payloadDone == 0 && _messageLength == 0 && available == remaining && !_messageCompressed)
        {
            // Fast path: a whole unfragmented message already in the input buffer is unmasked in
            // place and handed out without a copy.
            int length = available;
            Span<byte> payload = _input.Span[..length];
            Unmask(payload, 0);
            if (text && !(_utf8.Feed(payload) && _utf8.IsComplete))
            {
                return Fail(CloseCode.InvalidPayloadData, "text message is not valid UTF-8");
            }

            _inFrame = false;
            Opcode kind = _messageOpcode;
            _messageOpcode = Opcode.Continuation;
            _deliveredInput = length;
            ev = new WebSocketEvent(kind == Opcode.Text ? WebSocketEventKind.Text : WebSocketEventKind.Binary, _input.Memory[..length]);
            return Step.Event;
        }

        if (available > 0)
        {
            Span<byte> chunk = _input.Span[..available];
            Unmask(chunk, _payloadDone);
            // Validated as it arrives, so invalid text fails at the first bad piece, not at the end.
            if (text && !_utf8.Feed(chunk))
            {
                return Fail(CloseCode.InvalidPayloadData, "text message is not valid UTF-8");
            }

            // The reassembly buffer grows with the bytes that arrived (PooledBuffer doubles), never
            // with the length a header announced: a peer that announces 1 MiB and sends 10 bytes
            // holds 10 bytes' worth of buffer.
            _message.Write(chunk);
            _input.Consume(available);
            _payloadDone += available;
            _messageLength += available;
        }

        if (_payloadDone < _payloadLength)
        {
            return Step.NeedMore;
        }

        _inFrame = false;
        return _fin ? CompleteMessage(out ev) : Step.Continue;
    }

    private Step CompleteMessage(out WebSocketEvent ev)
    {
        ev = default;
        Opcode kind = _messageOpcode;
        _messageOpcode = Opcode.Continuation;
        ReadOnlyMemory<byte> payload;
        if (_messageCompressed)
        {
            // The window kept is the peer's agreed one: the server's 4 KiB for a browser (client_max_window_bits=12).
            _inflater ??= _role == Role.Server
                ? new Inflater(_deflate!.ClientMaxWindowBits, !_deflate.ClientNoContextTakeover)
                : new Inflater(_deflate!.ServerMaxWindowBits, !_deflate.ServerNoContextTakeover);
            InflateResult result = _inflater.Inflate(_message.Span, _options.MaxMessageSize);
            _message.Release();
            if (result == InflateResult.TooLarge)
            {
                return Fail(CloseCode.MessageTooBig, "message larger than " + _options.MaxMessageSize + " bytes");
            }

            if (result == InflateResult.Corrupt)
            {
                return Fail(CloseCode.ProtocolError, "invalid compressed data");
            }

            payload = _inflater.Output;
            if (kind == Opcode.Text && !System.Text.Unicode.Utf8.IsValid(payload.Span))
            {
                return Fail(CloseCode.InvalidPayloadData, "text message is not valid UTF-8");
            }
        }
        else
        {
            if (kind == Opcode.Text && !_utf8.IsComplete)
            {
                return Fail(CloseCode.InvalidPayloadData, "text message ends inside a character");
            }

            payload = _message.Memory;
        }

        _deliveredMessage = true;
        ev = new WebSocketEvent(kind == Opcode.Text ? WebSocketEventKind.Text : WebSocketEventKind.Binary, payload);
        return Step.Event;
    }

    private Step ReadControl(out WebSocketEvent ev)
    {
        ev = default;
        int length = (int)_payloadLength;
        if (_input.Length < length)
        {
            return Step.NeedMore; // at most 125 bytes: wait for all of it
        }

        Span<byte> payload = _input.Span[..length];
        Unmask(payload, 0);
        _inFrame = false;
        _deliveredInput = length;
        ReadOnlyMemory<byte> memory = _input.Memory[..length];

        switch (_opcode)
        {
            case Opcode.Ping:
                // RFC 6455 5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a Pong frame
                // in response ... with identical Application data".
                if (!CloseSent)
                {
                    QueuePong(payload);
                }

                ev = new WebSocketEvent(WebSocketEventKind.Ping, memory);
                return Step.Event;

            case Opcode.Pong:
                ev = new WebSocketEvent(WebSocketEventKind.Pong, memory);
                return Step.Event;

            default:
                return ReadClose(payload, out ev);
        }
    }

    private Step ReadClose(ReadOnlySpan<byte> payload, out WebSocketEvent ev)
    {
        ev = default;
        CloseCode code = CloseCode.NoStatusReceived;
        string reason = string.Empty;
        if (payload.Length == 1)
        {
            // RFC 6455 5.5.1: a body, if present, starts with a two-byte status code.
            return Fail(CloseCode.ProtocolError, "close frame with a one-byte payload");
        }

        if (payload.Length >= 2)
        {
            int raw = BinaryPrimitives.ReadUInt16BigEndian(payload);
            if (!CloseCodes.IsValidOnWire(raw))
            {
                return Fail(CloseCode.ProtocolError, "invalid close code " + raw);
            }

            ReadOnlySpan<byte> reasonBytes = payload[2..];
            if (!System.Text.Unicode.Utf8.IsValid(reasonBytes))
            {
                return Fail(CloseCode.InvalidPayloadData, "close reason is not valid UTF-8");
            }

            code = (CloseCode)raw;
            reason = Encoding.UTF8.GetString(reasonBytes);
        }

        CloseReceived = true;
        if (CloseSent)
        {
            State = CodecState.Closed;
        }
        else
        {
            // RFC 6455 5.5.1: "the endpoint ... MUST send a Close frame in response ... typically
            // echoing the status code it received."
            PendingCloseCode = code;
            PendingCloseReason = string.Empty;
            if (_options.AutoCloseReply)
            {
                WriteClose(code == CloseCode.NoStatusReceived ? null : code, ReadOnlySpan<byte>.Empty);
            }
        }

        _deliveredInput = 0;
        ReleaseReceiveBuffers();
        ev = new WebSocketEvent(WebSocketEventKind.Close, default, code, reason);
        return Step.Event;
    }

    private Step Fail(CloseCode code, string reason)
    {
        // RFC 6455 7.1.7: _Fail the WebSocket Connection_: send a close frame if none was sent, then
        // close the transport without waiting for the peer's.
        _failed = true;
        if (!CloseSent)
        {
            PendingCloseCode = code;
            PendingCloseReason = reason;
            if (_options.AutoCloseReply)
            {
                WriteClose(code, Encoding.UTF8.GetBytes(reason));
            }
        }

        if (CloseSent)
        {
            State = CodecState.Closed;
        }

        _inFrame = false;
        _deliveredInput = 0;
        ReleaseReceiveBuffers();
        _pending = new WebSocketEvent(WebSocketEventKind.Failed, default, code, reason);
        return Step.Continue;
    }

    private void Unmask(Span<byte> data, long offset)
    {
        if (_masked)
        {
            Masking.Apply(data, _maskKey, offset);
        }
    }

    private void ReleaseDelivered()
    {
        if (_deliveredInput > 0)
        {
            _input.Consume(_deliveredInput);
            _deliveredInput = 0;
        }

        if (_deliveredMessage)
        {
            _deliveredMessage = false;
            _message.Release();
            _inflater?.ReleaseOutput();
        }
    }

    private void ReleaseReceiveBuffers()
    {
        _input.Release();
        _message.Release();
        _inflater?.ReleaseOutput();
        _deliveredMessage = false;
        _deliveredInput = 0;
    }
}
