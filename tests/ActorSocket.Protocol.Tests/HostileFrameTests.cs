using System.Buffers.Binary;
using ActorSocket.Protocol.Framing;
using static ActorSocket.Protocol.Tests.CodecHarness;

namespace ActorSocket.Protocol.Tests;

/// <summary>Frames from a peer that lies about lengths or floods control frames: bounded memory, the right close code.</summary>
public class HostileFrameTests
{
    private static readonly WebSocketCodecOptions Small = new() { MaxMessageSize = 1024 };

    /// <summary>A masked frame header announcing <paramref name="length"/> with the 64-bit length field, and no payload.</summary>
    private static byte[] Header64(byte first, ulong length, uint key = 0x3D21FA37)
    {
        byte[] header = new byte[2 + 8 + 4];
        header[0] = first;
        header[1] = 0x80 | 127;
        BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(2), length);
        Masking.WriteKey(header.AsSpan(10), key);
        return header;
    }

    [Theory]
    [InlineData(0x7FFF_FFFF_FFFF_FFFFUL)]
    [InlineData(0x7FFF_FFFF_FFFF_FFF6UL - 1)] // the largest whose sum with the 10 bytes received does not wrap
    [InlineData(0x7FFF_FFFF_FFFF_FFF6UL)] // 10 more and the signed sum wraps below zero
    [InlineData(1025UL)]
    public void Continuation_whose_length_would_overflow_the_sum_fails_with_1009_at_its_header(ulong announced)
    {
        byte[] first = ClientFrame(Opcode.Text, "0123456789"u8, fin: false);
        using var codec = new WebSocketCodec(Role.Server, Small);
        var events = new List<Ev>();
        codec.ReceiveData(first);
        Drain(codec, events);
        codec.ReceiveData(Header64(0x80, announced)); // FIN + continuation
        Drain(codec, events);

        Assert.Equal([Ev.Failed(CloseCode.MessageTooBig)], events);
        // Nothing more is read, so streamed zeros are not buffered.
        codec.ReceiveData(new byte[64 * 1024]);
        Drain(codec, events);
        Assert.Equal(0, codec.BufferedInputBytes);
        Assert.Equal(0, codec.ReceiveBufferCapacity);
    }

    [Fact]
    public void First_frame_announcing_the_largest_length_fails_with_1009()
    {
        var (events, _) = CodecHarness.Run(Role.Server, Header64(0x82, 0x7FFF_FFFF_FFFF_FFFFUL), []);
        Assert.Equal([Ev.Failed(CloseCode.MessageTooBig)], events);
    }

    [Fact]
    public void Memory_for_a_fragmented_message_follows_the_bytes_that_arrived_not_the_announced_length()
    {
        var options = new WebSocketCodecOptions { MaxMessageSize = 16 * 1024 * 1024 };
        using var codec = new WebSocketCodec(Role.Server, options);
        var events = new List<Ev>();
        // A first fragment that announces 16 MiB and then delivers a trickle.
        byte[] header = Header64(0x01, 16UL * 1024 * 1024, key: 0);
        codec.ReceiveData(header);
        codec.ReceiveData(new byte[100]);
        Drain(codec, events);

        Assert.Empty(events);
        Assert.True(codec.ReceiveBufferCapacity <= 4096, "holds " + codec.ReceiveBufferCapacity + " bytes for 100 received");
    }

    [Fact]
    public void A_message_that_grows_past_the_limit_in_many_fragments_fails_with_1009_before_its_last_byte_is_buffered()
    {
        using var codec = new WebSocketCodec(Role.Server, Small);
        var events = new List<Ev>();
        codec.ReceiveData(ClientFrame(Opcode.Binary, new byte[1000], fin: false));
        Drain(codec, events);
        Assert.Empty(events);
        codec.ReceiveData(ClientFrame(Opcode.Continuation, new byte[25], fin: true));
        Drain(codec, events);
        Assert.Equal([Ev.Failed(CloseCode.MessageTooBig)], events);
        Assert.Equal(0, codec.ReceiveBufferCapacity);
    }

    [Fact]
    public void Every_ping_gets_its_own_pong_unless_pongs_are_coalesced()
    {
        byte[] pings = Concat(Enumerable.Range(0, 10).Select(i => ClientFrame(Opcode.Ping, [(byte)i])).ToArray());
        using var strict = new WebSocketCodec(Role.Server);
        strict.ReceiveData(pings);
        Drain(strict, []);
        Assert.Equal(10 * 3, strict.OutgoingLength); // ten 3-byte pongs

        using var coalescing = new WebSocketCodec(Role.Server) { CoalescePongs = true };
        coalescing.ReceiveData(pings);
        Drain(coalescing, []);
        // RFC 6455 5.5.3: only the most recent ping is answered.
        Assert.Equal(Hex("8A 01 09"), coalescing.PeekOutgoing().ToArray());
    }

    [Fact]
    public void A_coalesced_pong_never_replaces_bytes_queued_after_it_or_already_taken()
    {
        using var codec = new WebSocketCodec(Role.Server) { CoalescePongs = true };
        codec.ReceiveData(ClientFrame(Opcode.Ping, "a"u8));
        Drain(codec, []);
        codec.SendText("x"u8);
        codec.ReceiveData(ClientFrame(Opcode.Ping, "b"u8));
        Drain(codec, []);
        Assert.Equal(Hex("8A 01 61 81 01 78 8A 01 62"), codec.PeekOutgoing().ToArray());

        codec.ConsumeOutgoing(codec.OutgoingLength - 1); // the transport took all but the last byte
        codec.ReceiveData(ClientFrame(Opcode.Ping, "c"u8));
        Drain(codec, []);
        Assert.Equal(Hex("62 8A 01 63"), codec.PeekOutgoing().ToArray());
    }

    [Fact]
    public void A_ping_flood_with_coalescing_queues_one_pong()
    {
        using var codec = new WebSocketCodec(Role.Server) { CoalescePongs = true };
        byte[] ping = ClientFrame(Opcode.Ping, new byte[125]);
        for (int i = 0; i < 10_000; i++)
        {
            codec.ReceiveData(ping);
            Drain(codec, []);
        }

        Assert.Equal(2 + 125, codec.OutgoingLength);
    }
}
