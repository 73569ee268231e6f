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
            case null:
                error = new PubSubError(PubSubError.BadRequest, "op must be a string", id);
                return false;
            default:
                error = new PubSubError(PubSubError.BadRequest, "unknown op", id);
                return false;
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
        }

        request = new PubSubRequest(kind, topic, data, id);
        error = default;
        return true;
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
    public static byte[] EncodeMessageFrame(ReadOnlySpan<byte> encodedTopic, ReadOnlySpan<byte> data)
    {
        int length = MessagePrefix.Length + encodedTopic.Length + DataPrefix.Length + data.Length + 1;
        int header = FrameWriter.HeaderLength(length, masked: false);
        byte[] frame = new byte[header + length];
        FrameWriter.WriteHeader(frame, Opcode.Text, fin: true, rsv1: false, length, maskKey: null);
        WriteMessage(frame.AsSpan(header), encodedTopic, data);
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

    private static ReadOnlySpan<byte> MessagePrefix => "{\"op\":\"message\",\"topic\":"u8;

    private static ReadOnlySpan<byte> DataPrefix => ",\"data\":"u8;

    private static void WriteMessage(Span<byte> destination, ReadOnlySpan<byte> encodedTopic, ReadOnlySpan<byte> data)
    {
        var writer = new SpanWriter(destination);
        writer.Write(MessagePrefix);
        writer.Write(encodedTopic);
        writer.Write(DataPrefix);
        writer.Write(data);
        writer.Write("}"u8);
    }

    private ref struct SpanWriter(Span<byte> destination)
    {
        private readonly Span<byte> _destination = destination;
        private int _position;

        public void Write(ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(_destination[_position..]);
            _position += bytes.Length;
        }
    }
}
