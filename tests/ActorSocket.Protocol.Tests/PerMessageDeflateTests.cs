using System.IO.Compression;
using System.Text;
using ActorSocket.Protocol.Deflate;
using ActorSocket.Protocol.Framing;
using ActorSocket.Protocol.Http;
using static ActorSocket.Protocol.Tests.CodecHarness;

namespace ActorSocket.Protocol.Tests;

/// <summary>RFC 7692 7.2.3: the examples, byte for byte.</summary>
public class Rfc7692Section7_2_3Examples
{
    private static readonly PerMessageDeflateParameters Default = new(false, false, 15, 15);

    private static readonly WebSocketCodecOptions CompressEverything = new() { Deflate = new PerMessageDeflateOptions { MinimumSize = 0 } };

    [Fact]
    public void A_message_compressed_with_one_block_decodes_to_Hello()
    {
        // 7.2.3.1: 0xc1 0x07 0xf2 0x48 0xcd 0xc9 0xc9 0x07 0x00
        var events = AssertSameAnyWaySplit(Role.Client, Hex("c1 07 f2 48 cd c9 c9 07 00"), deflate: Default);
        Assert.Equal([Ev.Text("Hello")], events);
    }

    [Fact]
    public void A_compressed_message_may_be_fragmented()
    {
        // 7.2.3.1: 0x41 0x03 0xf2 0x48 0xcd / 0x80 0x04 0xc9 0xc9 0x07 0x00
        var events = AssertSameAnyWaySplit(Role.Client, Hex("41 03 f2 48 cd 80 04 c9 c9 07 00"), deflate: Default);
        Assert.Equal([Ev.Text("Hello")], events);
    }

    [Fact]
    public void The_second_message_reuses_the_first_with_context_takeover()
    {
        // 7.2.3.2: the second "Hello" is 0xf2 0x00 0x11 0x00 0x00.
        var events = AssertSameAnyWaySplit(Role.Client, Hex("c1 07 f2 48 cd c9 c9 07 00 c1 05 f2 00 11 00 00"), deflate: Default);
        Assert.Equal([Ev.Text("Hello"), Ev.Text("Hello")], events);
    }

    [Fact]
    public void A_stored_block_decodes()
    {
        // 7.2.3.3: 0xc1 0x0b 0x00 0x05 0x00 0xfa 0xff 0x48 0x65 0x6c 0x6c 0x6f 0x00
        var events = AssertSameAnyWaySplit(Role.Client, Hex("c1 0b 00 05 00 fa ff 48 65 6c 6c 6f 00"), deflate: Default);
        Assert.Equal([Ev.Text("Hello")], events);
    }

    [Fact]
    public void A_block_with_BFINAL_set_decodes_and_the_next_message_still_does()
    {
        // 7.2.3.4: 0xf3 0x48 0xcd 0xc9 0xc9 0x07 0x00 0x00
        var events = AssertSameAnyWaySplit(Role.Client, Hex("c1 08 f3 48 cd c9 c9 07 00 00 c1 07 f2 48 cd c9 c9 07 00"), deflate: Default);
        Assert.Equal([Ev.Text("Hello"), Ev.Text("Hello")], events);
    }

    [Fact]
    public void Two_blocks_in_one_message_decode()
    {
        // 7.2.3.5: 0xf2 0x48 0x05 0x00 0x00 0x00 0xff 0xff 0xca 0xc9 0xc9 0x07 0x00
        var events = AssertSameAnyWaySplit(Role.Client, Hex("c1 0d f2 48 05 00 00 00 ff ff ca c9 c9 07 00"), deflate: Default);
        Assert.Equal([Ev.Text("Hello")], events);
    }

    [Fact]
    public void The_server_compresses_Hello_as_the_RFC_and_then_with_context_takeover()
    {
        // zlib's default level reproduces the RFC's bytes exactly.
        var level6 = CompressEverything with { Deflate = new PerMessageDeflateOptions { MinimumSize = 0, CompressionLevel = 6 } };
        using var codec = new WebSocketCodec(Role.Server, level6, Default);
        codec.SendText("Hello"u8);
        Assert.Equal(Hex("c1 07 f2 48 cd c9 c9 07 00"), codec.PeekOutgoing().ToArray());
        codec.ConsumeOutgoing(codec.OutgoingLength);
        codec.SendText("Hello"u8);
        Assert.Equal(Hex("c1 05 f2 00 11 00 00"), codec.PeekOutgoing().ToArray());
    }

    [Fact]
    public void At_the_default_level_repeated_messages_shrink_and_decode()
    {
        using var server = new WebSocketCodec(Role.Server, CompressEverything, Default);
        server.SendText("Hello"u8);
        int first = server.OutgoingLength;
        server.SendText("Hello"u8);
        int second = server.OutgoingLength - first;
        Assert.True(second < first, $"second message {second} bytes, first {first}");
        var (events, _) = CodecHarness.Run(Role.Client, server.PeekOutgoing().ToArray(), [], deflate: Default);
        Assert.Equal([Ev.Text("Hello"), Ev.Text("Hello")], events);
    }

    [Fact]
    public void Without_context_takeover_every_message_stands_alone()
    {
        using var codec = new WebSocketCodec(Role.Server, CompressEverything, Default with { ServerNoContextTakeover = true });
        codec.SendText("Hello"u8);
        codec.SendText("Hello"u8);
        Assert.Equal(Hex("c1 07 f2 48 cd c9 c9 07 00 c1 07 f2 48 cd c9 c9 07 00"), codec.PeekOutgoing().ToArray());
    }
}

public class PerMessageDeflateCodecTests
{
    private static readonly PerMessageDeflateParameters Default = new(false, false, 15, 15);

    [Fact]
    public void Messages_below_the_minimum_size_are_sent_uncompressed()
    {
        using var codec = new WebSocketCodec(Role.Server, null, Default);
        codec.SendText("Hello"u8);
        Assert.Equal(Hex("81 05 48 65 6c 6c 6f"), codec.PeekOutgoing().ToArray());
    }

    [Fact]
    public void RSV1_on_a_continuation_or_control_frame_is_a_protocol_error()
    {
        byte[] continuation = Concat(ClientFrame(Opcode.Text, "a"u8, fin: false), RawMasked(0x80 | 0x40, "b"u8));
        Assert.Equal(Ev.Failed(CloseCode.ProtocolError), CodecHarness.Run(Role.Server, continuation, [], deflate: Default).Events[^1]);
        byte[] ping = RawMasked(0x89 | 0x40, "p"u8);
        Assert.Equal(Ev.Failed(CloseCode.ProtocolError), CodecHarness.Run(Role.Server, ping, [], deflate: Default).Events[^1]);
    }

    [Fact]
    public void A_decompression_bomb_is_1009_and_never_allocates_past_the_limit()
    {
        // 10 MiB of zeros compresses to about 10 KiB.
        byte[] bomb = RawDeflate(new byte[10 * 1024 * 1024]);
        Assert.True(bomb.Length < 20_000);
        var options = new WebSocketCodecOptions { MaxMessageSize = 64 * 1024 };
        using var codec = new WebSocketCodec(Role.Server, options, Default);
        codec.ReceiveData(ClientFrame(Opcode.Binary, bomb, rsv1: true));
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.True(codec.TryReadEvent(out WebSocketEvent ev));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(WebSocketEventKind.Failed, ev.Kind);
        Assert.Equal(CloseCode.MessageTooBig, ev.CloseCode);
        Assert.True(allocated < 4 * options.MaxMessageSize, $"allocated {allocated} bytes");
    }

    [Fact]
    public void A_message_of_exactly_the_limit_after_decompression_is_accepted_and_one_more_byte_is_1009()
    {
        var options = new WebSocketCodecOptions { MaxMessageSize = 100_000 };
        var exact = CodecHarness.Run(Role.Server, ClientFrame(Opcode.Binary, RawDeflate(new byte[100_000]), rsv1: true), [], options, Default);
        Assert.Equal(Ev.Binary(new byte[100_000]), exact.Events.Single());
        var over = CodecHarness.Run(Role.Server, ClientFrame(Opcode.Binary, RawDeflate(new byte[100_001]), rsv1: true), [], options, Default);
        Assert.Equal([Ev.Failed(CloseCode.MessageTooBig)], over.Events);
    }

    [Fact]
    public void Incompressible_data_of_the_full_limit_is_accepted()
    {
        byte[] random = new byte[WebSocketCodecOptions.DefaultMaxMessageSize];
        new Random(3).NextBytes(random);
        var (events, _) = CodecHarness.Run(Role.Server, ClientFrame(Opcode.Binary, RawDeflate(random), rsv1: true), []);
        Assert.Equal(WebSocketEventKind.Failed, events.Single().Kind); // no deflate negotiated: RSV1 is an error
        (events, _) = CodecHarness.Run(Role.Server, ClientFrame(Opcode.Binary, RawDeflate(random), rsv1: true), [], deflate: Default);
        Assert.Equal(Convert.ToHexString(random), events.Single().Payload);
    }

    [Fact]
    public void Corrupt_compressed_data_is_a_protocol_error()
    {
        var (events, _) = CodecHarness.Run(Role.Server, ClientFrame(Opcode.Binary, [0xFF, 0xFF, 0xFF], rsv1: true), [], deflate: Default);
        Assert.Equal([Ev.Failed(CloseCode.ProtocolError)], events);
    }

    [Fact]
    public void Compressed_text_that_is_not_UTF8_is_1007()
    {
        var (events, _) = CodecHarness.Run(Role.Server, ClientFrame(Opcode.Text, RawDeflate([0x61, 0xFF]), rsv1: true), [], deflate: Default);
        Assert.Equal([Ev.Failed(CloseCode.InvalidPayloadData)], events);
    }

    [Fact]
    public void A_reference_into_history_fails_when_the_client_promised_no_context_takeover()
    {
        byte[] second = Hex("c1 05 f2 00 11 00 00");
        byte[] first = Hex("c1 07 f2 48 cd c9 c9 07 00");
        var (events, _) = CodecHarness.Run(Role.Client, Concat(first, second), [], deflate: Default with { ServerNoContextTakeover = true });
        Assert.Equal([Ev.Text("Hello"), Ev.Failed(CloseCode.ProtocolError)], events);
    }

    [Fact]
    public void With_a_small_server_window_only_messages_within_the_window_are_compressed()
    {
        var options = new WebSocketCodecOptions { Deflate = new PerMessageDeflateOptions { MinimumSize = 0 } };
        using var codec = new WebSocketCodec(Role.Server, options, Default with { ServerMaxWindowBits = 9 });
        byte[] small = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("abcdef", 80)));   // 480 bytes <= 512
        byte[] large = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("abcdef", 100)));  // 600 bytes > 512
        codec.SendText(small);
        Assert.Equal(0xC1, codec.PeekOutgoing()[0]);
        codec.ConsumeOutgoing(codec.OutgoingLength);
        codec.SendText(large);
        Assert.Equal(0x81, codec.PeekOutgoing()[0]);
    }

    internal static byte[] RawDeflate(byte[] data)
    {
        using var output = new MemoryStream();
        using (var deflate = new DeflateStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            deflate.Write(data);
            deflate.Flush();
        }

        byte[] bytes = output.ToArray();
        // Dispose wrote a final block after the sync flush; keep the sync-flushed part only.
        int tail = bytes.AsSpan().LastIndexOf(Hex("00 00 ff ff"));
        return bytes[..tail];
    }
}

/// <summary>RFC 7692 7.1: negotiating the extension parameters.</summary>
public class Rfc7692Section7_1_Negotiation
{
    private static PerMessageDeflateParameters? Negotiate(string header, PerMessageDeflateOptions? options = null) =>
        PerMessageDeflateParameters.Negotiate(ExtensionOffer.ParseAll([header]), options ?? new PerMessageDeflateOptions());

    [Theory]
    [InlineData("permessage-deflate", "permessage-deflate")]
    [InlineData("permessage-deflate; client_max_window_bits", "permessage-deflate")]
    [InlineData("permessage-deflate; server_no_context_takeover", "permessage-deflate; server_no_context_takeover")]
    [InlineData("permessage-deflate; client_no_context_takeover", "permessage-deflate; client_no_context_takeover")]
    [InlineData("permessage-deflate; server_max_window_bits=10", "permessage-deflate; server_max_window_bits=10")]
    [InlineData("permessage-deflate; server_max_window_bits=\"12\"", "permessage-deflate; server_max_window_bits=12")]
    [InlineData("permessage-deflate; client_max_window_bits=9", "permessage-deflate; client_max_window_bits=9")]
    [InlineData("permessage-deflate; server_max_window_bits=15", "permessage-deflate")]
    [InlineData("x-webkit-deflate-frame, permessage-deflate", "permessage-deflate")]
    public void Acceptable_offers_are_answered_as_asked_when_the_server_keeps_context_and_full_windows(string offer, string response) =>
        Assert.Equal(response, Negotiate(offer, new PerMessageDeflateOptions { ServerContextTakeover = true, ClientMaxWindowBits = 15 })!.ToResponseHeader());

    [Theory]
    [InlineData("permessage-deflate", "permessage-deflate; server_no_context_takeover")]
    [InlineData("permessage-deflate; client_max_window_bits", "permessage-deflate; server_no_context_takeover; client_max_window_bits=12")]
    [InlineData("permessage-deflate; client_max_window_bits=15", "permessage-deflate; server_no_context_takeover; client_max_window_bits=12")]
    [InlineData("permessage-deflate; client_max_window_bits=9", "permessage-deflate; server_no_context_takeover; client_max_window_bits=9")]
    [InlineData("permessage-deflate; client_no_context_takeover", "permessage-deflate; server_no_context_takeover; client_no_context_takeover")]
    [InlineData("permessage-deflate; server_max_window_bits=10", "permessage-deflate; server_no_context_takeover; server_max_window_bits=10")]
    public void By_default_the_server_keeps_no_compressor_per_connection_and_limits_the_clients_window(string offer, string response) =>
        // RFC 7692 7.1.1.1: server_no_context_takeover may be answered to any offer; 7.1.2.2:
        // client_max_window_bits only to an offer that names it (browsers' offers do).
        Assert.Equal(response, Negotiate(offer)!.ToResponseHeader());

    [Theory]
    [InlineData("permessage-deflate; server_max_window_bits=7")]
    [InlineData("permessage-deflate; server_max_window_bits=16")]
    [InlineData("permessage-deflate; server_max_window_bits=010")]
    [InlineData("permessage-deflate; server_max_window_bits")]
    [InlineData("permessage-deflate; client_max_window_bits=abc")]
    [InlineData("permessage-deflate; server_no_context_takeover=1")]
    [InlineData("permessage-deflate; server_no_context_takeover; server_no_context_takeover")]
    [InlineData("permessage-deflate; unknown_parameter")]
    [InlineData("x-webkit-deflate-frame")]
    public void Unacceptable_offers_are_declined(string offer) => Assert.Null(Negotiate(offer));

    [Fact]
    public void The_first_acceptable_offer_wins()
    {
        PerMessageDeflateParameters? chosen = Negotiate("permessage-deflate; bogus, permessage-deflate; client_no_context_takeover, permessage-deflate");
        Assert.Equal(new PerMessageDeflateParameters(true, true, 15, 15), chosen);
    }

    [Fact]
    public void Nothing_is_negotiated_when_disabled() =>
        Assert.Null(Negotiate("permessage-deflate", new PerMessageDeflateOptions { Enabled = false }));
}

/// <summary>The per-thread compressor of connections without server context takeover.</summary>
public class SharedDeflaterTests
{
    private static byte[] InflateAlone(byte[] compressed)
    {
        // A fresh decoder per message: exactly what a client does under server_no_context_takeover.
        using var input = new MemoryStream([.. compressed, 0x00, 0x00, 0xFF, 0xFF]);
        using var inflate = new DeflateStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        inflate.CopyTo(output);
        return output.ToArray();
    }

    [Fact]
    public void The_runtimes_zlib_is_available_here() => Assert.True(SharedDeflater.IsAvailable);

    [Fact]
    public void Each_message_decodes_alone_though_one_compressor_made_them_all()
    {
        var random = new Random(7);
        var messages = new List<byte[]>();
        for (int i = 0; i < 200; i++)
        {
            // Similar JSON (a back-reference to an earlier message would pay), random binary, and
            // messages larger than one 64 KiB pinned chunk.
            messages.Add(i % 50 == 49
                ? Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"op\":\"message\",\"n\":" + i + "}", 10_000)))
                : i % 3 == 0
                    ? Enumerable.Range(0, random.Next(1, 3000)).Select(_ => (byte)random.Next(256)).ToArray()
                    : Encoding.UTF8.GetBytes("{\"op\":\"message\",\"topic\":\"room:lobby\",\"data\":{\"n\":" + i + "}}"));
        }

        var compressed = new List<byte[]>();
        foreach (byte[] message in messages)
        {
            using var destination = new PooledBuffer();
            SharedDeflater deflater = SharedDeflater.Rent(1);
            int written = deflater.Compress(message, destination);
            SharedDeflater.Return(deflater);
            Assert.Equal(written, destination.Length);
            compressed.Add(destination.Span.ToArray());
        }

        // Decoded out of order, each with a fresh decoder: no message depends on another.
        for (int i = messages.Count - 1; i >= 0; i--)
        {
            Assert.Equal(messages[i], InflateAlone(compressed[i]));
            using var inflater = new Inflater(15, contextTakeover: false);
            Assert.Equal(InflateResult.Ok, inflater.Inflate(compressed[i], 1 << 20));
            Assert.Equal(messages[i], inflater.Output.ToArray());
        }
    }

    [Fact]
    public void A_server_without_context_takeover_sends_what_a_client_without_history_decodes()
    {
        var parameters = new PerMessageDeflateParameters(ServerNoContextTakeover: true, false, 15, 12);
        var options = new WebSocketCodecOptions { Deflate = new PerMessageDeflateOptions { MinimumSize = 0 } };
        using var server = new WebSocketCodec(Role.Server, options, parameters);
        using var client = new WebSocketCodec(Role.Client, options, parameters);
        for (int i = 0; i < 20; i++)
        {
            server.SendText(Encoding.UTF8.GetBytes("{\"op\":\"message\",\"topic\":\"room:lobby\",\"data\":" + i + "}"));
        }

        client.ReceiveData(server.PeekOutgoing());
        var events = new List<Ev>();
        Drain(client, events);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => Ev.Text("{\"op\":\"message\",\"topic\":\"room:lobby\",\"data\":" + i + "}")), events);
    }
}
