using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using ActorSocket.Protocol.Framing;

namespace ActorSocket.Protocol.PubSub;

/// <summary>
/// The <c>/pubsub</c> JSON envelope: requests parsed with <see cref="Utf8JsonReader"/> (the published
/// <c>data</c> kept as the raw bytes it arrived as), and replies built directly as frame bytes so
/// that one publish is encoded once for all its subscribers.
/// </summary>
public static class PubSubCodec
{
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 64 };

    /// <summary>
    /// Parses one request. On failure <paramref name="error"/> holds the reply to send; the
    /// connection stays open (a bad request gets an error, never a dropped connection).
    /// </summary>
    /// <param name="json">The text message, UTF-8.</param>
    /// <param name="limits">Topic and payload bounds; <see cref="PubSubLimits.Default"/> when null.</param>
    /// <param name="request">The request, when valid.</param>
    /// <param name="error">Why it was refused, when not.</param>
    public static bool TryParse(ReadOnlyMemory<byte> json, PubSubLimits? limits, out PubSubRequest request, out PubSubError error)
    {
        limits ??= PubSubLimits.Default;
        request = default;
        ReadOnlySpan<byte> span = json.Span;
        ReadOnlyMemory<byte> id = default;
        string? op = null;
        string? topic = null;
        bool topicIsString = false, hasTopic = false, idInvalid = false;
        ReadOnlyMemory<byte> data = default;
        bool hasSince = false, sinceValid = false, hasLimit = false, limitValid = false;
        string? sinceEpoch = null;
        long sinceOffset = 0, limit = -1;
        string? token = null;
        bool hasToken = false, tokenValid = false, echo = true, echoValid = true;
        try
        {
            var reader = new Utf8JsonReader(span, ReaderOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = new PubSubError(PubSubError.BadRequest, "a request must be a JSON object", default);
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("op"u8))
                {
                    reader.Read();
                    op = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("topic"u8))
                {
                    reader.Read();
                    hasTopic = true;
                    topicIsString = reader.TokenType == JsonTokenType.String;
                    topic = topicIsString ? reader.GetString() : null;
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("id"u8))
                {
                    reader.Read();
                    int start = (int)reader.TokenStartIndex;
                    idInvalid = reader.TokenType is not (JsonTokenType.String or JsonTokenType.Number);
                    reader.Skip();
                    if (!idInvalid)
                    {
                        id = json[start..(int)reader.BytesConsumed];
                    }
                }
                else if (reader.ValueTextEquals("data"u8))
                {
                    reader.Read();
                    int start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    data = json[start..(int)reader.BytesConsumed];
                }
                else if (reader.ValueTextEquals("since"u8))
                {
                    reader.Read();
                    hasSince = true;
                    sinceValid = TryReadSince(ref reader, out sinceEpoch, out sinceOffset);
                }
                else if (reader.ValueTextEquals("token"u8))
                {
                    reader.Read();
                    hasToken = true;
                    tokenValid = reader.TokenType == JsonTokenType.String && reader.ValueSpan.Length <= MaxTokenBytes;
                    token = tokenValid ? reader.GetString() : null;
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("echo"u8))
                {
                    reader.Read();
                    echoValid = reader.TokenType is JsonTokenType.True or JsonTokenType.False;
                    echo = reader.TokenType != JsonTokenType.False;
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("limit"u8))
                {
                    reader.Read();
                    hasLimit = true;
                    limitValid = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out limit) && limit is >= 0 and <= MaxPosition;
                    reader.Skip();
                }
                else
                {
                    reader.Read();
                    reader.Skip(); // unknown fields are ignored, for forward compatibility
                }
            }

            // Anything after the object (a second value) makes the message invalid.
            if (reader.Read())
            {
                error = new PubSubError(PubSubError.BadRequest, "one JSON object per message", id);
                return false;
            }
        }
        catch (JsonException)
        {
            error = new PubSubError(PubSubError.BadRequest, "not valid JSON", id);
            return false;
        }
        catch (InvalidOperationException)
        {
            // Utf8JsonReader.GetString refuses an escape that decodes to invalid UTF-16 (a lone
            // surrogate such as "\udc00"): valid JSON, but no string.
            error = new PubSubError(PubSubError.BadRequest, "a string holds an invalid \\u escape (lone surrogate)", id);
            return false;
        }

        if (idInvalid)
        {
            error = new PubSubError(PubSubError.BadRequest, "id must be a string or a number", default);
            return false;
        }

        PubSubOp kind;
        switch (op)
        {
            case "subscribe":
                kind = PubSubOp.Subscribe;
                break;
            case "unsubscribe":
                kind = PubSubOp.Unsubscribe;
                break;
            case "publish":
                kind = PubSubOp.Publish;
                break;
            case "history":
                kind = PubSubOp.History;
                break;
            case "connect":
                kind = PubSubOp.Connect;
                break;
            case "refresh":
                kind = PubSubOp.Refresh;
                break;
            case "presence":
                kind = PubSubOp.Presence;
                break;
            case "presence-stats":
                kind = PubSubOp.PresenceStats;
                break;
            case null:
                error = new PubSubError(PubSubError.BadRequest, "op must be a string", id);
                return false;
            default:
                error = new PubSubError(PubSubError.BadRequest, "unknown op", id);
                return false;
        }

        if (kind is PubSubOp.Connect or PubSubOp.Refresh)
        {
            if (hasToken && !tokenValid)
            {
                error = new PubSubError(PubSubError.BadRequest, "token must be a string of at most " + MaxTokenBytes + " bytes", id);
                return false;
            }

            if (kind == PubSubOp.Refresh && !hasToken)
            {
                error = new PubSubError(PubSubError.BadRequest, "refresh needs a token", id);
                return false;
            }

            request = new PubSubRequest(kind, string.Empty, default, id) { Token = token, Limit = -1, Echo = true };
            error = default;
            return true;
        }

        if (!hasTopic || !topicIsString || string.IsNullOrEmpty(topic))
        {
            error = new PubSubError(PubSubError.BadRequest, "topic must be a non-empty string", id);
            return false;
        }

        if (Encoding.UTF8.GetByteCount(topic) > limits.MaxTopicBytes)
        {
            error = new PubSubError(PubSubError.BadRequest, "topic longer than " + limits.MaxTopicBytes + " bytes", id);
            return false;
        }

        if (kind == PubSubOp.Publish)
        {
            if (data.IsEmpty)
            {
                error = new PubSubError(PubSubError.BadRequest, "publish needs data", id);
                return false;
            }

            if (data.Length > limits.MaxPublishBytes)
            {
                error = new PubSubError(PubSubError.TooLarge, "data larger than " + limits.MaxPublishBytes + " bytes", id);
                return false;
            }

            if (!echoValid)
            {
                error = new PubSubError(PubSubError.BadRequest, "echo must be true or false", id);
                return false;
            }
        }

        if (kind is PubSubOp.Subscribe or PubSubOp.History)
        {
            if (hasSince && !sinceValid)
            {
                error = new PubSubError(PubSubError.BadRequest, "since must be an object with a string epoch and an integer offset in 0..2^53", id);
                return false;
            }

            if (kind == PubSubOp.History && hasLimit && !limitValid)
            {
                error = new PubSubError(PubSubError.BadRequest, "limit must be an integer in 0..2^53", id);
                return false;
            }
        }
        else
        {
            hasSince = false;
        }

        request = new PubSubRequest(kind, topic, data, id)
        {
            Since = hasSince ? new PubSubPosition(sinceEpoch!, sinceOffset) : null,
            Limit = kind == PubSubOp.History && hasLimit ? (int)Math.Min(limit, int.MaxValue) : -1,
            Echo = kind != PubSubOp.Publish || echo,
        };
        error = default;
        return true;
    }

    /// <summary>Longest token a <c>connect</c> or <c>refresh</c> may carry, in bytes of JSON string. 16 KiB: twice the longest token the server accepts, so that a long one gets its own clear answer.</summary>
    public const int MaxTokenBytes = 16 * 1024;

    /// <summary>The largest offset or limit a request may name: 2^53, the largest integer every JSON client can hold exactly.</summary>
    public const long MaxPosition = 1L << 53;

    private static bool TryReadSince(ref Utf8JsonReader reader, out string? epoch, out long offset)
    {
        epoch = null;
        offset = -1;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return false;
        }

        bool valid = true;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("epoch"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    epoch = reader.GetString();
                }
                else
                {
                    valid = false;
                }

                reader.Skip();
            }
            else if (reader.ValueTextEquals("offset"u8))
            {
                reader.Read();
                if (!(reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out offset) && offset is >= 0 and <= MaxPosition))
                {
                    valid = false;
                }

                reader.Skip();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return valid && epoch is not null && offset >= 0;
    }

    /// <summary>
    /// The topic as a JSON string literal (quotes included), computed once per topic and reused for
    /// every message on it.
    /// </summary>
    public static byte[] EncodeTopic(string topic) =>
        Encoding.UTF8.GetBytes("\"" + JavaScriptEncoder.UnsafeRelaxedJsonEscaping.Encode(topic) + "\"");

    /// <summary>
    /// The complete server text frame <c>{"op":"message","topic":T,"data":D}</c>, encoded once: the
    /// immutable buffer every subscriber of the topic receives.
    /// </summary>
    /// <param name="encodedTopic">The topic from <see cref="EncodeTopic"/>.</param>
    /// <param name="data">The published value as raw JSON, exactly as it arrived.</param>
    public static byte[] EncodeMessageFrame(ReadOnlySpan<byte> encodedTopic, ReadOnlySpan<byte> data) => EncodeMessageFrame(encodedTopic, data, 0);

    /// <summary>
    /// As <see cref="EncodeMessageFrame(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/> for a message of a
    /// topic with history: <c>{"op":"message","topic":T,"offset":N,"data":D}</c>; an
    /// <paramref name="offset"/> of 0 (no history) leaves the offset out.
    /// </summary>
    /// <param name="encodedTopic">The topic from <see cref="EncodeTopic"/>.</param>
    /// <param name="data">The published value as raw JSON, exactly as it arrived.</param>
    /// <param name="offset">The message's offset in its topic's stream, or 0.</param>
    public static byte[] EncodeMessageFrame(ReadOnlySpan<byte> encodedTopic, ReadOnlySpan<byte> data, long offset)
    {
        Span<byte> offsetText = stackalloc byte[32];
        int offsetLength = 0;
        if (offset > 0)
        {
            OffsetPrefix.CopyTo(offsetText);
            offset.TryFormat(offsetText[OffsetPrefix.Length..], out int digits, default, System.Globalization.CultureInfo.InvariantCulture);
            offsetLength = OffsetPrefix.Length + digits;
        }

        int length = MessagePrefix.Length + encodedTopic.Length + offsetLength + DataPrefix.Length + data.Length + 1;
        int header = FrameWriter.HeaderLength(length, masked: false);
        byte[] frame = new byte[header + length];
        FrameWriter.WriteHeader(frame, Opcode.Text, fin: true, rsv1: false, length, maskKey: null);
        var writer = new SpanWriter(frame.AsSpan(header));
        writer.Write(MessagePrefix);
        writer.Write(encodedTopic);
        writer.Write(offsetText[..offsetLength]);
        writer.Write(DataPrefix);
        writer.Write(data);
        writer.Write("}"u8);
        return frame;
    }

    /// <summary>The payload <c>{"op":"ack","id":ID}</c>.</summary>
    /// <param name="id">The request's raw id JSON.</param>
    public static byte[] EncodeAck(ReadOnlySpan<byte> id)
    {
        byte[] payload = new byte["{\"op\":\"ack\",\"id\":"u8.Length + id.Length + 1];
        var writer = new SpanWriter(payload);
        writer.Write("{\"op\":\"ack\",\"id\":"u8);
        writer.Write(id);
        writer.Write("}"u8);
        return payload;
    }

    /// <summary>
    /// The payload of the answer to a subscribe on a topic with history:
    /// <c>{"op":"ack","id":ID,"epoch":E,"offset":N,"recovered":R}</c>, without <c>id</c> when the
    /// client gave none and without <c>recovered</c> when it did not ask to recover.
    /// </summary>
    /// <param name="id">The request's raw id JSON, or empty.</param>
    /// <param name="position">The stream's epoch and its last offset (0 when it has no message yet).</param>
    /// <param name="recovered">Whether the missed messages follow; null when no <c>since</c> was given.</param>
    public static byte[] EncodePositionAck(ReadOnlySpan<byte> id, PubSubPosition position, bool? recovered)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(64 + id.Length + position.Epoch.Length);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("op"u8, "ack"u8);
            WriteId(writer, id);
            WritePosition(writer, position, recovered);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// The frame that tells a client the server subscribed it (<c>{"op":"subscribed","topic":T}</c>,
    /// with the stream's <c>epoch</c> and <c>offset</c> on a topic with history) or unsubscribed it
    /// (<c>{"op":"unsubscribed","topic":T}</c>): the server API acted for its user.
    /// </summary>
    /// <param name="subscribed">Subscribed (true) or unsubscribed (false).</param>
    /// <param name="topic">The topic.</param>
    /// <param name="position">On a subscribe to a topic with history, the stream's position; null otherwise.</param>
    public static byte[] EncodeServerSubscription(bool subscribed, string topic, PubSubPosition? position)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(64 + topic.Length);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("op"u8, subscribed ? "subscribed"u8 : "unsubscribed"u8);
            writer.WriteString("topic"u8, topic);
            if (position is { } at)
            {
                WritePosition(writer, at, null);
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// The payload of a history answer:
    /// <c>{"op":"history","id":ID,"topic":T,"epoch":E,"offset":N,"recovered":R,"messages":[{"offset":O,"data":D},...]}</c>.
    /// </summary>
    /// <param name="id">The request's raw id JSON, or empty.</param>
    /// <param name="topic">The topic.</param>
    /// <param name="position">The stream's epoch and its last offset.</param>
    /// <param name="recovered">With <c>since</c>: whether every message after it was kept; null without.</param>
    /// <param name="messages">The messages, oldest first: each offset with its data as raw JSON.</param>
    public static byte[] EncodeHistory(ReadOnlySpan<byte> id, string topic, PubSubPosition position, bool? recovered, IReadOnlyList<(long Offset, ReadOnlyMemory<byte> Json)> messages)
    {
        int size = 128 + id.Length + topic.Length * 2;
        foreach ((_, ReadOnlyMemory<byte> json) in messages)
        {
            size += json.Length + 32;
        }

        var buffer = new System.Buffers.ArrayBufferWriter<byte>(size);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("op"u8, "history"u8);
            WriteId(writer, id);
            writer.WriteString("topic"u8, topic);
            WritePosition(writer, position, recovered);
            writer.WriteStartArray("messages"u8);
            foreach ((long offset, ReadOnlyMemory<byte> json) in messages)
            {
                writer.WriteStartObject();
                writer.WriteNumber("offset"u8, offset);
                writer.WritePropertyName("data"u8);
                writer.WriteRawValue(json.Span, skipInputValidation: true); // relayed as it was published
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    // Strings as they are, beyond what JSON requires escaping (as EncodeTopic); no indentation; depth
    // of a relayed value already checked by the parser.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    private static void WriteId(Utf8JsonWriter writer, ReadOnlySpan<byte> id)
    {
        if (!id.IsEmpty)
        {
            writer.WritePropertyName("id"u8);
            writer.WriteRawValue(id, skipInputValidation: true);
        }
    }

    private static void WritePosition(Utf8JsonWriter writer, PubSubPosition position, bool? recovered)
    {
        writer.WriteString("epoch"u8, position.Epoch);
        writer.WriteNumber("offset"u8, position.Offset);
        if (recovered is { } value)
        {
            writer.WriteBoolean("recovered"u8, value);
        }
    }

    /// <summary>The payload <c>{"op":"error","id":ID,"code":C,"message":M}</c> (no id when it is empty).</summary>
    public static byte[] EncodeError(PubSubError error)
    {
        byte[] code = EncodeTopic(error.Code);
        byte[] message = EncodeTopic(error.Message);
        ReadOnlySpan<byte> id = error.Id.Span;
        int length = "{\"op\":\"error\""u8.Length + (id.IsEmpty ? 0 : ",\"id\":"u8.Length + id.Length)
            + ",\"code\":"u8.Length + code.Length + ",\"message\":"u8.Length + message.Length + 1;
        byte[] payload = new byte[length];
        var writer = new SpanWriter(payload);
        writer.Write("{\"op\":\"error\""u8);
        if (!id.IsEmpty)
        {
            writer.Write(",\"id\":"u8);
            writer.Write(id);
        }

        writer.Write(",\"code\":"u8);
        writer.Write(code);
        writer.Write(",\"message\":"u8);
        writer.Write(message);
        writer.Write("}"u8);
        return payload;
    }

    /// <summary>
    /// The payload <c>{"op":"error","id":ID,"code":"rate_limited","message":M,"retry_after_ms":N}</c>:
    /// the request was refused by a rate limit, and <paramref name="retryAfterMs"/> is when the same
    /// request would be taken.
    /// </summary>
    public static byte[] EncodeRateLimited(ReadOnlySpan<byte> id, string message, long retryAfterMs)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(96 + id.Length + message.Length);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("op"u8, "error"u8);
            WriteId(writer, id);
            writer.WriteString("code"u8, PubSubError.RateLimited);
            writer.WriteString("message"u8, message);
            writer.WriteNumber("retry_after_ms"u8, retryAfterMs);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// The payload of the answer to <c>connect</c>:
    /// <c>{"op":"connected","id":ID,"client":C,"user":U,"expires_in":N}</c>; <c>expires_in</c> is
    /// null for a connection whose token does not expire (or that has none).
    /// </summary>
    /// <param name="id">The request's raw id JSON, or empty.</param>
    /// <param name="client">The connection's id, unique in the cluster.</param>
    /// <param name="user">The token's <c>sub</c>; empty for an anonymous connection.</param>
    /// <param name="expiresIn">Seconds until the token expires, or null.</param>
    public static byte[] EncodeConnected(ReadOnlySpan<byte> id, string client, string user, long? expiresIn)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(96 + id.Length + client.Length + user.Length);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("op"u8, "connected"u8);
            WriteId(writer, id);
            writer.WriteString("client"u8, client);
            writer.WriteString("user"u8, user);
            if (expiresIn is { } seconds)
            {
                writer.WriteNumber("expires_in"u8, seconds);
            }
            else
            {
                writer.WriteNull("expires_in"u8);
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static ReadOnlySpan<byte> MessagePrefix => "{\"op\":\"message\",\"topic\":"u8;

    private static ReadOnlySpan<byte> DataPrefix => ",\"data\":"u8;

    private static ReadOnlySpan<byte> OffsetPrefix => ",\"offset\":"u8;

    private ref struct SpanWriter(Span<byte> destination)
    {
        private readonly Span<byte> _destination = destination;
        private int _position;

        public void Write(scoped ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(_destination[_position..]);
            _position += bytes.Length;
        }
    }
}
