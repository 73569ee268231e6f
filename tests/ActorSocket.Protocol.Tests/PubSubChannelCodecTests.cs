using System.Text;
using System.Text.Json;
using ActorSocket.Protocol.PubSub;

namespace ActorSocket.Protocol.Tests;

/// <summary>The version 2 parts of the envelope: <c>since</c>, <c>limit</c>, <c>history</c>, offsets and positioned acks.</summary>
public class PubSubChannelCodecTests
{
    private static PubSubRequest Parse(string json)
    {
        Assert.True(PubSubCodec.TryParse(Encoding.UTF8.GetBytes(json), null, out PubSubRequest request, out PubSubError error), error.Message);
        return request;
    }

    [Fact]
    public void Subscribe_with_since_and_history_with_limit_are_parsed()
    {
        PubSubRequest subscribe = Parse("""{"op":"subscribe","topic":"room:lobby","id":2,"since":{"epoch":"x7f3","offset":41}}""");
        Assert.Equal(new PubSubPosition("x7f3", 41), subscribe.Since);

        PubSubRequest history = Parse("""{"op":"history","topic":"room:lobby","id":3,"limit":50}""");
        Assert.Equal(PubSubOp.History, history.Op);
        Assert.Equal(50, history.Limit);
        Assert.Null(history.Since);

        PubSubRequest all = Parse("""{"op":"history","topic":"room:lobby","since":{"offset":9007199254740992,"epoch":""}}""");
        Assert.Equal(-1, all.Limit);
        Assert.Equal(new PubSubPosition(string.Empty, 1L << 53), all.Since); // any epoch string: a mismatch is not an error

        Assert.Null(Parse("""{"op":"subscribe","topic":"t"}""").Since);
        // since means nothing on a publish: ignored as any unknown field.
        Assert.Null(Parse("""{"op":"publish","topic":"t","data":1,"since":{"epoch":"e","offset":1}}""").Since);
    }

    [Theory]
    [InlineData("\"x7f3:41\"")]
    [InlineData("41")]
    [InlineData("null")]
    [InlineData("[\"x7f3\",41]")]
    [InlineData("{}")]
    [InlineData("{\"epoch\":\"x7f3\"}")]
    [InlineData("{\"offset\":41}")]
    [InlineData("{\"epoch\":7,\"offset\":41}")]
    [InlineData("{\"epoch\":null,\"offset\":41}")]
    [InlineData("{\"epoch\":\"x7f3\",\"offset\":\"41\"}")]
    [InlineData("{\"epoch\":\"x7f3\",\"offset\":-1}")]
    [InlineData("{\"epoch\":\"x7f3\",\"offset\":41.5}")]
    [InlineData("{\"epoch\":\"x7f3\",\"offset\":1e3}")]
    [InlineData("{\"epoch\":\"x7f3\",\"offset\":9007199254740993}")]
    [InlineData("{\"epoch\":\"x7f3\",\"offset\":99999999999999999999999}")]
    public void A_since_that_is_not_an_epoch_string_and_an_integer_offset_is_a_bad_request(string since)
    {
        foreach (string op in new[] { "subscribe", "history" })
        {
            Assert.False(PubSubCodec.TryParse(Encoding.UTF8.GetBytes("{\"op\":\"" + op + "\",\"topic\":\"room:a\",\"id\":5,\"since\":" + since + "}"), null, out _, out PubSubError error));
            Assert.Equal(PubSubError.BadRequest, error.Code);
            Assert.Equal("5", Encoding.UTF8.GetString(error.Id.Span)); // answered to the request, the connection stays
        }
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("\"10\"")]
    [InlineData("2.5")]
    [InlineData("null")]
    [InlineData("9007199254740993")]
    public void A_limit_that_is_not_an_integer_in_range_is_a_bad_request(string limit)
    {
        Assert.False(PubSubCodec.TryParse(Encoding.UTF8.GetBytes("{\"op\":\"history\",\"topic\":\"room:a\",\"limit\":" + limit + "}"), null, out _, out PubSubError error));
        Assert.Equal(PubSubError.BadRequest, error.Code);
    }

    [Fact]
    public void A_message_of_a_topic_with_history_names_its_offset_and_one_without_does_not()
    {
        byte[] topic = PubSubCodec.EncodeTopic("room:lobby");
        byte[] withOffset = PubSubCodec.EncodeMessageFrame(topic, "{\"t\":1}"u8, 46);
        byte[] without = PubSubCodec.EncodeMessageFrame(topic, "{\"t\":1}"u8, 0);
        Assert.Equal("""{"op":"message","topic":"room:lobby","offset":46,"data":{"t":1}}""", Encoding.UTF8.GetString(withOffset.AsSpan(2)));
        Assert.Equal("""{"op":"message","topic":"room:lobby","data":{"t":1}}""", Encoding.UTF8.GetString(without.AsSpan(2)));
        Assert.Equal(without, PubSubCodec.EncodeMessageFrame(topic, "{\"t\":1}"u8));
        Assert.Equal(withOffset.Length - 2, withOffset[1]); // the header's length covers the offset
    }

    [Fact]
    public void Positioned_acks_and_history_answers_are_the_contract_s_objects()
    {
        JsonElement ack = JsonDocument.Parse(PubSubCodec.EncodePositionAck("\"s\""u8, new PubSubPosition("x7f3", 45), recovered: true)).RootElement;
        Assert.Equal("ack", ack.GetProperty("op").GetString());
        Assert.Equal("s", ack.GetProperty("id").GetString());
        Assert.Equal("x7f3", ack.GetProperty("epoch").GetString());
        Assert.Equal(45, ack.GetProperty("offset").GetInt64());
        Assert.True(ack.GetProperty("recovered").GetBoolean());

        JsonElement plain = JsonDocument.Parse(PubSubCodec.EncodePositionAck([], new PubSubPosition("e\"1", 0), recovered: null)).RootElement;
        Assert.False(plain.TryGetProperty("id", out _));
        Assert.False(plain.TryGetProperty("recovered", out _)); // only when since was given
        Assert.Equal("e\"1", plain.GetProperty("epoch").GetString());

        byte[] encoded = PubSubCodec.EncodeHistory("3"u8, "room:lobby", new PubSubPosition("x7f3", 45), null, [(44, "{\"a\": [1, 2.50]}"u8.ToArray()), (45, "\"two\""u8.ToArray())]);
        JsonElement history = JsonDocument.Parse(encoded).RootElement;
        Assert.Equal("history", history.GetProperty("op").GetString());
        Assert.Equal(3, history.GetProperty("id").GetInt32());
        Assert.Equal("room:lobby", history.GetProperty("topic").GetString());
        Assert.Equal(45, history.GetProperty("offset").GetInt64());
        JsonElement[] messages = [.. history.GetProperty("messages").EnumerateArray()];
        Assert.Equal([44L, 45L], messages.Select(message => message.GetProperty("offset").GetInt64()));
        Assert.Contains("\"data\":{\"a\": [1, 2.50]}", Encoding.UTF8.GetString(encoded), StringComparison.Ordinal); // relayed as published
        Assert.Equal("two", messages[1].GetProperty("data").GetString());
    }
}
