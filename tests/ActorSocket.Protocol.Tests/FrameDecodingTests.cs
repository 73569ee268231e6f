using ActorSocket.Protocol.Framing;
using static ActorSocket.Protocol.Tests.CodecHarness;

namespace ActorSocket.Protocol.Tests;

/// <summary>RFC 6455 5.7: the examples, byte for byte, fed whole, byte by byte and split everywhere.</summary>
public class Rfc6455Section5_7Examples
{
    [Fact]
    public void Single_frame_unmasked_text_message()
    {
        var events = AssertSameAnyWaySplit(Role.Client, Hex("81 05 48 65 6c 6c 6f"));
        Assert.Equal([Ev.Text("Hello")], events);
    }

    [Fact]
    public void Single_frame_masked_text_message()
    {
        var events = AssertSameAnyWaySplit(Role.Server, Hex("81 85 37 fa 21 3d 7f 9f 4d 51 58"));
        Assert.Equal([Ev.Text("Hello")], events);
    }

    [Fact]
    public void Fragmented_unmasked_text_message()
    {
        var events = AssertSameAnyWaySplit(Role.Client, Hex("01 03 48 65 6c 80 02 6c 6f"));
        Assert.Equal([Ev.Text("Hello")], events);
    }

    [Fact]
    public void Unmasked_ping_and_masked_pong()
    {
        Assert.Equal([new Ev(WebSocketEventKind.Ping, "48656C6C6F")], AssertSameAnyWaySplit(Role.Client, Hex("89 05 48 65 6c 6c 6f")));
        Assert.Equal([new Ev(WebSocketEventKind.Pong, "48656C6C6F")], AssertSameAnyWaySplit(Role.Server, Hex("8a 85 37 fa 21 3d 7f 9f 4d 51 58")));
    }

    [Fact]
    public void Binary_256_bytes_uses_the_16_bit_length()
    {
        byte[] payload = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        byte[] frame = Concat(Hex("82 7E 01 00"), payload);
        Assert.Equal(frame, FrameWriter.EncodeServerFrame(Opcode.Binary, payload));
        var (events, _) = CodecHarness.Run(Role.Client, frame, []);
        Assert.Equal([Ev.Binary(payload)], events);
    }

    [Fact]
    public void Binary_64_KiB_uses_the_64_bit_length()
    {
        byte[] payload = new byte[65536];
        new Random(1).NextBytes(payload);
        byte[] frame = Concat(Hex("82 7F 00 00 00 00 00 01 00 00"), payload);
        Assert.Equal(frame, FrameWriter.EncodeServerFrame(Opcode.Binary, payload));
        var (events, _) = CodecHarness.Run(Role.Client, frame, [1, 5, 10, 11, 30000]);
        Assert.Equal([Ev.Binary(payload)], events);
    }

    [Fact]
    public void Server_encodes_Hello_exactly_as_the_RFC()
    {
        using var codec = new WebSocketCodec(Role.Server);
        codec.SendText("Hello"u8);
        Assert.Equal(Hex("81 05 48 65 6c 6c 6f"), codec.PeekOutgoing().ToArray());
    }
}

/// <summary>RFC 6455 5.2-5.5: every class of invalid frame gets its close code.</summary>
public class Rfc6455Section5_InvalidFrames
{
    private static (List<Ev> Events, string Sent) Server(byte[] input, WebSocketCodecOptions? options = null) =>
        CodecHarness.Run(Role.Server, input, [], options);

    private static void AssertFails(byte[] input, CloseCode code, WebSocketCodecOptions? options = null)
    {
        var events = AssertSameAnyWaySplit(Role.Server, input, options);
        Assert.Equal(Ev.Failed(code), events[^1]);
        // The close frame with that code was queued.
        var (_, sent) = Server(input, options);
        Assert.StartsWith("88", sent);
        Assert.Contains(((int)code).ToString("X4"), sent[4..8]);
    }

    [Fact]
    public void Server_fails_connection_when_client_frame_is_unmasked() =>
        AssertFails(Hex("81 05 48 65 6c 6c 6f"), CloseCode.ProtocolError);

    [Fact]
    public void Client_fails_connection_when_server_frame_is_masked()
    {
        var (events, _) = CodecHarness.Run(Role.Client, Hex("81 85 37 fa 21 3d 7f 9f 4d 51 58"), []);
        Assert.Equal([Ev.Failed(CloseCode.ProtocolError)], events);
    }

    [Theory]
    [InlineData(0x40)]
    [InlineData(0x20)]
    [InlineData(0x10)]
    public void Reserved_bits_without_an_extension_are_a_protocol_error(byte bit) =>
        AssertFails(RawMasked((byte)(0x81 | bit), "x"u8), CloseCode.ProtocolError);

    [Theory]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(0xB)]
    [InlineData(0xF)]
    public void Reserved_opcodes_are_a_protocol_error(byte opcode) =>
        AssertFails(RawMasked((byte)(0x80 | opcode), "x"u8), CloseCode.ProtocolError);

    [Fact]
    public void A_fragmented_control_frame_is_a_protocol_error() =>
        AssertFails(RawMasked(0x09, "x"u8), CloseCode.ProtocolError);

    [Fact]
    public void A_control_frame_over_125_bytes_is_a_protocol_error() =>
        AssertFails(Concat(Hex("89 FE 00 7E 00 00 00 00"), new byte[126]), CloseCode.ProtocolError);

    [Fact]
    public void A_64_bit_length_with_the_top_bit_set_is_a_protocol_error() =>
        AssertFails(Hex("82 FF 80 00 00 00 00 00 00 01 00 00 00 00"), CloseCode.ProtocolError);

    [Fact]
    public void A_continuation_without_a_message_is_a_protocol_error() =>
        AssertFails(ClientFrame(Opcode.Continuation, "x"u8), CloseCode.ProtocolError);

    [Fact]
    public void A_new_message_inside_a_fragmented_one_is_a_protocol_error() =>
        AssertFails(Concat(ClientFrame(Opcode.Text, "a"u8, fin: false), ClientFrame(Opcode.Text, "b"u8)), CloseCode.ProtocolError);

    [Fact]
    public void A_message_over_the_limit_fails_with_1009_from_the_header_alone()
    {
        var options = new WebSocketCodecOptions { MaxMessageSize = 1000 };
        // Only the header of a 1001-byte frame: the codec refuses before any payload arrives.
        byte[] header = ClientFrame(Opcode.Binary, new byte[1001])[..8];
        var (events, _) = Server(header, options);
        Assert.Equal([Ev.Failed(CloseCode.MessageTooBig)], events);
    }

    [Fact]
    public void A_message_of_exactly_the_limit_is_accepted_and_one_byte_more_is_1009()
    {
        var options = new WebSocketCodecOptions { MaxMessageSize = 1000 };
        Assert.Equal(WebSocketEventKind.Binary, Server(ClientFrame(Opcode.Binary, new byte[1000]), options).Events.Single().Kind);
        AssertFails(ClientFrame(Opcode.Binary, new byte[1001]), CloseCode.MessageTooBig, options);
    }

    [Fact]
    public void The_limit_counts_all_fragments_of_a_message()
    {
        var options = new WebSocketCodecOptions { MaxMessageSize = 1000 };
        byte[] input = Concat(ClientFrame(Opcode.Binary, new byte[600], fin: false), ClientFrame(Opcode.Continuation, new byte[401]));
        AssertFails(input, CloseCode.MessageTooBig, options);
    }

    [Fact]
    public void The_default_limit_is_one_MiB_exactly()
    {
        byte[] exact = new byte[1024 * 1024];
        Assert.Equal(WebSocketEventKind.Binary, Server(ClientFrame(Opcode.Binary, exact)).Events.Single().Kind);
        byte[] over = ClientFrame(Opcode.Binary, new byte[(1024 * 1024) + 1]);
        Assert.Equal([Ev.Failed(CloseCode.MessageTooBig)], Server(over).Events);
    }

    [Fact]
    public void Invalid_UTF8_in_a_text_message_is_1007() =>
        AssertFails(ClientFrame(Opcode.Text, [0x48, 0xC0, 0xAF]), CloseCode.InvalidPayloadData);

    [Fact]
    public void Invalid_UTF8_fails_at_the_bad_fragment_before_the_message_ends()
    {
        // First fragment valid, second holds the bad byte, the final fragment never arrives.
        byte[] input = Concat(ClientFrame(Opcode.Text, "κόσμε"u8, fin: false), ClientFrame(Opcode.Continuation, [0xED, 0xA0, 0x80], fin: false));
        var (events, _) = Server(input);
        Assert.Equal([Ev.Failed(CloseCode.InvalidPayloadData)], events);
    }

    [Fact]
    public void Invalid_UTF8_fails_inside_a_frame_whose_payload_is_still_arriving()
    {
        byte[] frame = ClientFrame(Opcode.Text, Concat("hello"u8.ToArray(), [0xFF], new byte[500]));
        var (events, _) = CodecHarness.Run(Role.Server, frame[..20], []);
        Assert.Equal([Ev.Failed(CloseCode.InvalidPayloadData)], events);
    }

    [Fact]
    public void A_text_message_ending_inside_a_character_is_1007() =>
        AssertFails(Concat(ClientFrame(Opcode.Text, [0xCE], fin: false), ClientFrame(Opcode.Continuation, [])), CloseCode.InvalidPayloadData);

    [Fact]
    public void A_character_split_across_fragments_is_valid()
    {
        byte[] input = Concat(ClientFrame(Opcode.Text, [0xF0, 0x9F], fin: false), ClientFrame(Opcode.Continuation, [0x98, 0x80]));
        Assert.Equal([Ev.Text("😀")], AssertSameAnyWaySplit(Role.Server, input));
    }

    [Fact]
    public void Bytes_after_a_failure_are_ignored()
    {
        byte[] input = Concat(Hex("81 05 48 65 6c 6c 6f"), ClientFrame(Opcode.Text, "ignored"u8));
        var (events, _) = Server(input);
        Assert.Equal([Ev.Failed(CloseCode.ProtocolError)], events);
    }
}

public class Rfc6455Section5_4Fragmentation
{
    [Fact]
    public void Control_frames_may_be_interleaved_with_fragments()
    {
        byte[] input = Concat(
            ClientFrame(Opcode.Text, "Hel"u8, fin: false),
            ClientFrame(Opcode.Ping, "p"u8),
            ClientFrame(Opcode.Continuation, "l"u8, fin: false),
            ClientFrame(Opcode.Pong, ""u8),
            ClientFrame(Opcode.Continuation, "o"u8));
        var events = AssertSameAnyWaySplit(Role.Server, input);
        Assert.Equal(
            [new Ev(WebSocketEventKind.Ping, "70"), new Ev(WebSocketEventKind.Pong, ""), Ev.Text("Hello")],
            events);
    }

    [Fact]
    public void Empty_fragments_make_an_empty_message()
    {
        byte[] input = Concat(ClientFrame(Opcode.Binary, [], fin: false), ClientFrame(Opcode.Continuation, []));
        Assert.Equal([Ev.Binary([])], AssertSameAnyWaySplit(Role.Server, input));
    }

    [Fact]
    public void Several_messages_in_one_read_come_out_in_order()
    {
        byte[] input = Concat(ClientFrame(Opcode.Text, "one"u8), ClientFrame(Opcode.Binary, [2]), ClientFrame(Opcode.Text, "three"u8));
        Assert.Equal([Ev.Text("one"), Ev.Binary([2]), Ev.Text("three")], AssertSameAnyWaySplit(Role.Server, input));
    }

    [Fact]
    public void An_unsolicited_pong_is_a_one_way_heartbeat()
    {
        using var codec = new WebSocketCodec(Role.Server);
        Assert.True(codec.SendPong("hb"u8));
        Assert.Equal(Hex("8A 02 68 62"), codec.PeekOutgoing().ToArray());
        Assert.Throws<ArgumentException>(() => codec.SendPong(new byte[126]));
    }

    [Fact]
    public void Ping_is_answered_with_a_pong_of_the_same_payload()
    {
        var (_, sent) = CodecHarness.Run(Role.Server, ClientFrame(Opcode.Ping, "abc"u8), []);
        Assert.Equal("8A03616263", sent);
    }
}
