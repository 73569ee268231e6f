using System.Buffers.Binary;
using ActorSocket.Protocol.Framing;
using static ActorSocket.Protocol.Tests.CodecHarness;

namespace ActorSocket.Protocol.Tests;

/// <summary>RFC 6455 5.5.1 and 7: the close handshake.</summary>
public class Rfc6455Section7_CloseHandshake
{
    private static byte[] ClosePayload(int code, string reason = "")
    {
        byte[] payload = new byte[2 + System.Text.Encoding.UTF8.GetByteCount(reason)];
        BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)code);
        System.Text.Encoding.UTF8.GetBytes(reason, payload.AsSpan(2));
        return payload;
    }

    [Fact]
    public void Peer_close_is_reported_and_its_code_echoed()
    {
        var (events, sent) = CodecHarness.Run(Role.Server, ClientFrame(Opcode.Close, ClosePayload(1000, "bye")), []);
        Assert.Equal([new Ev(WebSocketEventKind.Close, "", 1000, "bye")], events);
        Assert.Equal("880203E8", sent);
    }

    [Fact]
    public void An_empty_close_is_reported_as_1005_and_answered_with_an_empty_close()
    {
        var (events, sent) = CodecHarness.Run(Role.Server, ClientFrame(Opcode.Close, []), []);
        Assert.Equal([new Ev(WebSocketEventKind.Close, "", 1005, "")], events);
        Assert.Equal("8800", sent);
    }

    [Fact]
    public void A_one_byte_close_payload_is_a_protocol_error()
    {
        var (events, _) = CodecHarness.Run(Role.Server, ClientFrame(Opcode.Close, [0x03]), []);
        Assert.Equal([Ev.Failed(CloseCode.ProtocolError)], events);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(999)]
    [InlineData(1004)]
    [InlineData(1005)]
    [InlineData(1006)]
    [InlineData(1015)]
    [InlineData(1016)]
    [InlineData(2999)]
    [InlineData(5000)]
    [InlineData(65535)]
    public void Close_codes_not_allowed_on_the_wire_are_a_protocol_error(int code)
    {
        var (events, _) = CodecHarness.Run(Role.Server, ClientFrame(Opcode.Close, ClosePayload(code)), []);
        Assert.Equal([Ev.Failed(CloseCode.ProtocolError)], events);
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(1001)]
    [InlineData(1003)]
    [InlineData(1007)]
    [InlineData(1011)]
    [InlineData(1014)]
    [InlineData(3000)]
    [InlineData(4999)]
    public void Close_codes_allowed_on_the_wire_are_accepted(int code)
    {
        var (events, _) = CodecHarness.Run(Role.Server, ClientFrame(Opcode.Close, ClosePayload(code)), []);
        Assert.Equal([new Ev(WebSocketEventKind.Close, "", code, "")], events);
    }

    [Fact]
    public void A_close_reason_that_is_not_UTF8_is_1007()
    {
        byte[] payload = Concat(ClosePayload(1000), [0xFF]);
        var (events, _) = CodecHarness.Run(Role.Server, ClientFrame(Opcode.Close, payload), []);
        Assert.Equal([Ev.Failed(CloseCode.InvalidPayloadData)], events);
    }

    [Fact]
    public void Data_after_the_peer_close_is_ignored()
    {
        byte[] input = Concat(ClientFrame(Opcode.Close, ClosePayload(1000)), ClientFrame(Opcode.Text, "late"u8));
        var events = AssertSameAnyWaySplit(Role.Server, input);
        Assert.Equal([new Ev(WebSocketEventKind.Close, "", 1000, "")], events);
    }

    [Fact]
    public void Server_initiated_close_goes_Open_Closing_Closed()
    {
        using var codec = new WebSocketCodec(Role.Server);
        Assert.Equal(CodecState.Open, codec.State);
        Assert.True(codec.SendClose(CloseCode.GoingAway, "restart"));
        Assert.Equal(CodecState.Closing, codec.State);
        Assert.Equal(Concat(Hex("88 09 03 E9"), "restart"u8.ToArray()), codec.PeekOutgoing().ToArray());
        codec.ConsumeOutgoing(codec.OutgoingLength);

        // Still reads data while waiting for the peer's close (RFC 6455 7.1.2), sends nothing more.
        codec.ReceiveData(ClientFrame(Opcode.Text, "in flight"u8));
        Assert.True(codec.TryReadEvent(out WebSocketEvent message));
        Assert.Equal(WebSocketEventKind.Text, message.Kind);
        Assert.False(codec.SendText("too late"u8));
        Assert.False(codec.SendClose(CloseCode.NormalClosure));

        codec.ReceiveData(ClientFrame(Opcode.Close, ClosePayload(1001)));
        Assert.True(codec.TryReadEvent(out WebSocketEvent close));
        Assert.Equal(WebSocketEventKind.Close, close.Kind);
        Assert.Equal(CodecState.Closed, codec.State);
        Assert.Equal(0, codec.OutgoingLength); // no second close frame
    }

    [Fact]
    public void Eof_without_a_close_frame_is_reported_as_1006()
    {
        var (events, _) = CodecHarness.Run(Role.Server, ClientFrame(Opcode.Text, "partial message"u8)[..9], [], eof: true);
        Assert.Equal([new Ev(WebSocketEventKind.ConnectionLost, "", 1006)], events);
    }

    [Fact]
    public void Eof_after_the_close_handshake_reports_nothing_more()
    {
        var (events, _) = CodecHarness.Run(Role.Server, ClientFrame(Opcode.Close, ClosePayload(1000)), [], eof: true);
        Assert.Equal([new Ev(WebSocketEventKind.Close, "", 1000, "")], events);
    }

    [Fact]
    public void Sending_a_close_code_reserved_for_reporting_is_a_caller_bug()
    {
        using var codec = new WebSocketCodec(Role.Server);
        Assert.Throws<ArgumentOutOfRangeException>(() => codec.SendClose(CloseCode.AbnormalClosure));
        Assert.Throws<ArgumentException>(() => codec.SendClose(CloseCode.NormalClosure, new string('x', 124)));
    }

    [Fact]
    public void Without_auto_close_replies_the_owner_sends_data_before_answering_the_peer_close()
    {
        using var codec = new WebSocketCodec(Role.Server, new WebSocketCodecOptions { AutoCloseReply = false });
        codec.ReceiveData(Concat(ClientFrame(Opcode.Text, "question"u8), ClientFrame(Opcode.Close, ClosePayload(1000))));
        Assert.True(codec.TryReadEvent(out WebSocketEvent message));
        Assert.Equal(WebSocketEventKind.Text, message.Kind);
        Assert.True(codec.TryReadEvent(out WebSocketEvent close));
        Assert.Equal(WebSocketEventKind.Close, close.Kind);
        Assert.Equal(0, codec.OutgoingLength);
        Assert.Equal(CloseCode.NormalClosure, codec.PendingCloseCode);
        Assert.NotEqual(CodecState.Closed, codec.State);

        // The late answer still goes out, before the close frame.
        Assert.True(codec.SendText("answer"u8));
        Assert.True(codec.SendClose(codec.PendingCloseCode!.Value));
        Assert.Equal(CodecState.Closed, codec.State);
        Assert.Null(codec.PendingCloseCode);
        Assert.Equal(Concat(Hex("81 06"), "answer"u8.ToArray(), Hex("88 02 03 E8")), codec.PeekOutgoing().ToArray());
    }

    [Fact]
    public void Without_auto_close_replies_a_failure_waits_for_the_owner_and_then_closes_at_once()
    {
        using var codec = new WebSocketCodec(Role.Server, new WebSocketCodecOptions { AutoCloseReply = false });
        codec.ReceiveData(Concat(ClientFrame(Opcode.Text, "fine"u8), Hex("81 05 48 65 6c 6c 6f"), ClientFrame(Opcode.Text, "ignored"u8)));
        Assert.True(codec.TryReadEvent(out WebSocketEvent message));
        Assert.True(codec.TryReadEvent(out WebSocketEvent failed));
        Assert.Equal(WebSocketEventKind.Failed, failed.Kind);
        Assert.False(codec.TryReadEvent(out _)); // input after the violation is ignored
        Assert.Equal(CloseCode.ProtocolError, codec.PendingCloseCode);
        Assert.True(codec.SendText("fine"u8));
        codec.SendClose(codec.PendingCloseCode!.Value, codec.PendingCloseReason);
        Assert.Equal(CodecState.Closed, codec.State); // no waiting for the peer after a failure
    }

    [Fact]
    public void An_empty_peer_close_is_answered_with_an_empty_close_when_deferred()
    {
        using var codec = new WebSocketCodec(Role.Server, new WebSocketCodecOptions { AutoCloseReply = false });
        codec.ReceiveData(ClientFrame(Opcode.Close, []));
        Assert.True(codec.TryReadEvent(out _));
        Assert.Equal(CloseCode.NoStatusReceived, codec.PendingCloseCode);
        codec.SendClose(CloseCode.NoStatusReceived);
        Assert.Equal(Hex("88 00"), codec.PeekOutgoing().ToArray());
    }
}
