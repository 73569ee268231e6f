using ActorSocket.Protocol.Deflate;
using ActorSocket.Protocol.Framing;

namespace ActorSocket.Protocol.Tests;

/// <summary>An event copied out of the codec, comparable by value.</summary>
public sealed record Ev(WebSocketEventKind Kind, string Payload, int Code = 0, string? Reason = null)
{
    public static Ev From(WebSocketEvent e) =>
        new(e.Kind, Convert.ToHexString(e.Payload.Span), (int)e.CloseCode, e.Kind is WebSocketEventKind.Close ? e.Reason : null);

    public static Ev Text(string text) => new(WebSocketEventKind.Text, Convert.ToHexString(System.Text.Encoding.UTF8.GetBytes(text)));

    public static Ev Binary(byte[] data) => new(WebSocketEventKind.Binary, Convert.ToHexString(data));

    public static Ev Failed(CloseCode code) => new(WebSocketEventKind.Failed, string.Empty, (int)code);
}

/// <summary>Feeds bytes into a codec in chosen pieces and records what comes out.</summary>
public static class CodecHarness
{
    /// <summary>Events and sent bytes of a fresh codec fed <paramref name="input"/> cut at <paramref name="cuts"/>.</summary>
    public static (List<Ev> Events, string Sent) Run(Role role, byte[] input, IEnumerable<int> cuts, WebSocketCodecOptions? options = null, PerMessageDeflateParameters? deflate = null, bool eof = false)
    {
        using var codec = new WebSocketCodec(role, options, deflate);
        var events = new List<Ev>();
        var sent = new System.Buffers.ArrayBufferWriter<byte>();
        int position = 0;
        foreach (int cut in cuts.Append(input.Length))
        {
            codec.ReceiveData(input.AsSpan(position, cut - position));
            position = cut;
            Drain(codec, events);
        }

        if (eof)
        {
            codec.ReceiveEof();
            Drain(codec, events);
        }

        codec.WriteOutgoing(sent);
        // Masked client output differs per run; compare only what is deterministic.
        return (events, role == Role.Server ? Convert.ToHexString(sent.WrittenSpan) : string.Empty);
    }

    public static void Drain(WebSocketCodec codec, List<Ev> events)
    {
        while (codec.TryReadEvent(out WebSocketEvent e))
        {
            events.Add(Ev.From(e));
        }
    }

    /// <summary>
    /// Feeds the input whole, byte by byte, and split in two at every position, asserting that every
    /// way gives the same events and the same bytes sent; returns the events.
    /// </summary>
    public static List<Ev> AssertSameAnyWaySplit(Role role, byte[] input, WebSocketCodecOptions? options = null, PerMessageDeflateParameters? deflate = null, bool eof = false)
    {
        var whole = Run(role, input, [], options, deflate, eof);
        var byteByByte = Run(role, input, Enumerable.Range(1, Math.Max(0, input.Length - 1)), options, deflate, eof);
        Assert.Equal(whole.Events, byteByByte.Events);
        Assert.Equal(whole.Sent, byteByByte.Sent);
        for (int i = 1; i < input.Length; i++)
        {
            var split = Run(role, input, [i], options, deflate, eof);
            Assert.Equal(whole.Events, split.Events);
            Assert.Equal(whole.Sent, split.Sent);
        }

        return whole.Events;
    }

    /// <summary>A frame as a client sends it: masked with <paramref name="key"/>.</summary>
    public static byte[] ClientFrame(Opcode opcode, ReadOnlySpan<byte> payload, bool fin = true, bool rsv1 = false, uint key = 0x3D21FA37)
    {
        var writer = new System.Buffers.ArrayBufferWriter<byte>();
        FrameWriter.WriteFrame(writer, opcode, payload, fin, rsv1, key);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>Raw bytes for a header the encoder would refuse to write: for invalid-input tests.</summary>
    public static byte[] RawMasked(byte first, ReadOnlySpan<byte> payload, uint key = 0x3D21FA37)
    {
        var frame = new byte[2 + 4 + payload.Length];
        frame[0] = first;
        frame[1] = (byte)(0x80 | payload.Length);
        Masking.WriteKey(frame.AsSpan(2), key);
        payload.CopyTo(frame.AsSpan(6));
        Masking.Apply(frame.AsSpan(6), key, 0);
        return frame;
    }

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", string.Empty));
}
