using System.Text;
using System.Text.Json;
using ActorSocket.Protocol.PubSub;

namespace ActorSocket.Protocol.Tests;

public class PubSubCodecTests
{
    private static PubSubRequest Parse(string json)
    {
        Assert.True(PubSubCodec.TryParse(Encoding.UTF8.GetBytes(json), null, out PubSubRequest request, out PubSubError error), error.Message);
        return request;
    }

    private static PubSubError Refuse(string json, PubSubLimits? limits = null)
    {
        Assert.False(PubSubCodec.TryParse(Encoding.UTF8.GetBytes(json), limits, out _, out PubSubError error));
        return error;
    }

    [Fact]
    public void Parses_the_three_operations_from_the_contract()
    {
        PubSubRequest subscribe = Parse("""{"op":"subscribe",   "topic":"room:lobby", "id":"1"}""");
        Assert.Equal(PubSubOp.Subscribe, subscribe.Op);
        Assert.Equal("room:lobby", subscribe.Topic);
        Assert.Equal("\"1\"", Encoding.UTF8.GetString(subscribe.Id.Span));

        PubSubRequest unsubscribe = Parse("""{"op":"unsubscribe", "topic":"room:lobby", "id":2}""");
        Assert.Equal(PubSubOp.Unsubscribe, unsubscribe.Op);
        Assert.Equal("2", Encoding.UTF8.GetString(unsubscribe.Id.Span));

        PubSubRequest publish = Parse("""{"op":"publish", "topic":"room:lobby", "data":{"text":"hi", "n":[1,2.50,{"x":null}]}}""");
        Assert.Equal(PubSubOp.Publish, publish.Op);
        Assert.False(publish.HasId);
        // data is the raw JSON exactly as it arrived, spacing and number forms included.
        Assert.Equal("""{"text":"hi", "n":[1,2.50,{"x":null}]}""", Encoding.UTF8.GetString(publish.Data.Span));
    }

    [Theory]
    [InlineData("\"a string\"")]
    [InlineData("42")]
    [InlineData("-1.5e3")]
    [InlineData("true")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("\"esc\\u00e9\\\"\"")]
    public void Any_JSON_value_is_relayed_as_is(string data) =>
        Assert.Equal(data, Encoding.UTF8.GetString(Parse("{\"op\":\"publish\",\"topic\":\"t\",\"data\":" + data + "}").Data.Span));

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("\"subscribe\"")]
    [InlineData("{\"op\":\"subscribe\",\"topic\":\"t\"")]
    [InlineData("{\"op\":\"subscribe\",\"topic\":\"t\"} {}")]
    [InlineData("{\"op\":\"dance\",\"topic\":\"t\"}")]
    [InlineData("{\"op\":7,\"topic\":\"t\"}")]
    [InlineData("{\"topic\":\"t\"}")]
    [InlineData("{\"op\":\"subscribe\"}")]
    [InlineData("{\"op\":\"subscribe\",\"topic\":\"\"}")]
    [InlineData("{\"op\":\"subscribe\",\"topic\":5}")]
    [InlineData("{\"op\":\"publish\",\"topic\":\"t\"}")]
    [InlineData("{\"op\":\"subscribe\",\"topic\":\"t\",\"id\":{}}")]
    [InlineData("{\"op\":\"subscribe\",\"topic\":\"\\udc00\"}")]
    [InlineData("{\"op\":\"subscribe\",\"topic\":\"a\\ud800b\"}")]
    [InlineData("{\"op\":\"\\udc00\",\"topic\":\"t\"}")]
    [InlineData("{\"op\":\"subscribe\",\"topic\":\"\\ud800\\ud800\"}")]
    public void Bad_requests_are_bad_request(string json) => Assert.Equal(PubSubError.BadRequest, Refuse(json).Code);

    [Fact]
    public void The_id_is_kept_in_the_error_when_it_could_be_read()
    {
        PubSubError error = Refuse("""{"id":"7","op":"dance","topic":"t"}""");
        Assert.Equal("\"7\"", Encoding.UTF8.GetString(error.Id.Span));
        Assert.Equal("""{"op":"error","id":"7","code":"bad_request","message":"unknown op"}""", Encoding.UTF8.GetString(PubSubCodec.EncodeError(error)));
    }

    [Fact]
    public void Topics_are_limited_to_256_UTF8_bytes()
    {
        Parse("{\"op\":\"subscribe\",\"topic\":\"" + new string('é', 128) + "\"}");
        Assert.Equal(PubSubError.BadRequest, Refuse("{\"op\":\"subscribe\",\"topic\":\"" + new string('é', 128) + "x\"}").Code);
    }

    [Fact]
    public void A_publish_over_the_size_limit_is_too_large()
    {
        var limits = new PubSubLimits { MaxPublishBytes = 10 };
        Parse("{\"op\":\"publish\",\"topic\":\"t\",\"data\":\"12345678\"}");
        Assert.True(PubSubCodec.TryParse(Encoding.UTF8.GetBytes("{\"op\":\"publish\",\"topic\":\"t\",\"data\":\"12345678\"}"), limits, out _, out _));
        Assert.Equal(PubSubError.TooLarge, Refuse("{\"op\":\"publish\",\"topic\":\"t\",\"data\":\"123456789\"}", limits).Code);
    }

    [Fact]
    public void A_message_frame_is_one_text_frame_of_valid_JSON_with_the_data_unchanged()
    {
        byte[] topic = PubSubCodec.EncodeTopic("room:\"lobby\" é");
        byte[] frame = PubSubCodec.EncodeMessageFrame(topic, """{"a": [1, 2.50]}"""u8);
        var (events, _) = CodecHarness.Run(Role.Client, frame, []);
        string json = Encoding.UTF8.GetString(Convert.FromHexString(events.Single().Payload));
        Assert.Equal(WebSocketEventKind.Text, events.Single().Kind);
        using var document = JsonDocument.Parse(json);
        Assert.Equal("message", document.RootElement.GetProperty("op").GetString());
        Assert.Equal("room:\"lobby\" é", document.RootElement.GetProperty("topic").GetString());
        Assert.Equal("""{"a": [1, 2.50]}""", document.RootElement.GetProperty("data").GetRawText());
    }

    [Fact]
    public void Acks_and_errors_are_built_as_in_the_contract()
    {
        Assert.Equal("""{"op":"ack","id":"3"}""", Encoding.UTF8.GetString(PubSubCodec.EncodeAck("\"3\""u8)));
        Assert.Equal("""{"op":"ack","id":3}""", Encoding.UTF8.GetString(PubSubCodec.EncodeAck("3"u8)));
        Assert.Equal(
            """{"op":"error","code":"bad_request","message":"topic must be a non-empty string"}""",
            Encoding.UTF8.GetString(PubSubCodec.EncodeError(new PubSubError(PubSubError.BadRequest, "topic must be a non-empty string", default))));
    }

    [Fact]
    public void No_input_makes_the_parser_throw()
    {
        // A fuzz rule for the envelope: random mutations of valid requests (bytes flipped, cut,
        // escapes spliced in) end in a request or a documented error code, never an exception.
        string[] seeds =
        [
            "{\"op\":\"subscribe\",\"topic\":\"room:lobby\",\"id\":\"1\"}",
            "{\"op\":\"publish\",\"topic\":\"t\",\"data\":{\"a\":[1,2,{\"b\":\"\\u00e9\"}]},\"id\":3}",
        ];
        string[] splices = ["\\udc00", "\\ud800", "\\u0000", "\\", "\"", "\udc00", "{", "[", "]", "}", ",", ":", "\u00e9", "1e999", "-"];
        var random = new Random(20261130);
        for (int i = 0; i < 50_000; i++)
        {
            string text = seeds[random.Next(seeds.Length)];
            for (int m = random.Next(1, 4); m > 0; m--)
            {
                int at = random.Next(text.Length + 1);
                text = random.Next(3) switch
                {
                    0 => text[..at] + splices[random.Next(splices.Length)] + text[at..],
                    1 => text[..at],
                    _ => at < text.Length ? text.Remove(at, 1) : text,
                };
            }

            byte[] bytes = Encoding.UTF8.GetBytes(text);
            if (random.Next(4) == 0 && bytes.Length > 0)
            {
                bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
            }

            if (!PubSubCodec.TryParse(bytes, null, out _, out PubSubError error))
            {
                Assert.Contains(error.Code, new[] { PubSubError.BadRequest, PubSubError.TooLarge });
                Assert.NotEmpty(PubSubCodec.EncodeError(error));
            }
        }
    }
}
