using System.Collections.Concurrent;
using System.Text.Json;
using ActorSocket.Protocol.Deflate;
using ActorSocket.Protocol.Framing;
using ActorSocket.Protocol.PubSub;

namespace ActorSocket.Actors.Topics;

/// <summary>What a published payload is, which decides how a frame format carries it.</summary>
public enum TopicPayload
{
    /// <summary>A JSON value in UTF-8 (what <c>/pubsub</c> publishes).</summary>
    Json,

    /// <summary>UTF-8 text.</summary>
    Text,

    /// <summary>Bytes.</summary>
    Binary,
}

/// <summary>
/// One published message: its topic and its payload, the same immutable object for every
/// subscriber. It carries no wire format: each subscriber that asks for one
/// (<see cref="Topic.Subscribe.Format"/>) gets the frame of its <see cref="TopicFrameFormat"/>,
/// encoded once per publish for all subscribers of that format.
/// </summary>
public sealed class TopicMessage
{
    private TopicFrameFormat? _encodedBy;
    private byte[]? _encoded;

    /// <summary>A message with <paramref name="data"/> as its payload (not copied: the caller gives it up).</summary>
    /// <param name="topic">The topic it is published on.</param>
    /// <param name="data">The payload.</param>
    /// <param name="kind">What the payload is.</param>
    public TopicMessage(string topic, ReadOnlyMemory<byte> data, TopicPayload kind = TopicPayload.Json)
    {
        Topic = topic;
        Data = data;
        Kind = kind;
    }

    /// <summary>The topic it was published on.</summary>
    public string Topic { get; }

    /// <summary>The payload, exactly as it was published.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>What the payload is.</summary>
    public TopicPayload Kind { get; }

    /// <summary>
    /// The message's position in its topic's stream (1 for the first message, then +1 per message)
    /// when the topic keeps a history; 0 on topics without history.
    /// </summary>
    public long Offset { get; private init; }

    /// <summary>
    /// The publishing connection's origin tag when it asked not to receive its own message
    /// (<c>"echo": false</c>); 0 otherwise. Set before the message is published, never after.
    /// </summary>
    internal long Origin { get; set; }

    /// <summary>
    /// A JSON message, already encoded for <c>/pubsub</c> subscribers
    /// (<see cref="TopicFrameFormat.PubSub"/>): the payload is copied once, into that frame.
    /// </summary>
    /// <param name="topic">The topic.</param>
    /// <param name="json">The value as raw JSON.</param>
    public static TopicMessage Create(string topic, ReadOnlySpan<byte> json) =>
        Create(topic, PubSubCodec.EncodeTopic(topic), json);

    /// <summary>As <see cref="Create(string, ReadOnlySpan{byte})"/>, with the topic already encoded by <see cref="PubSubCodec.EncodeTopic"/>.</summary>
    /// <param name="topic">The topic.</param>
    /// <param name="encodedTopic">The topic as a JSON string literal.</param>
    /// <param name="json">The value as raw JSON.</param>
    public static TopicMessage Create(string topic, ReadOnlySpan<byte> encodedTopic, ReadOnlySpan<byte> json)
    {
        byte[] frame = PubSubCodec.EncodeMessageFrame(encodedTopic, json);
        // The frame ends with the data and a closing brace: the payload is that slice, not a second copy.
        return new TopicMessage(topic, frame.AsMemory(frame.Length - 1 - json.Length, json.Length))
        {
            _encodedBy = TopicFrameFormat.PubSub,
            _encoded = frame,
        };
    }

    /// <summary>
    /// This message at <paramref name="offset"/> of its topic's stream: a new message with the same
    /// payload, its <c>/pubsub</c> frame (which names the offset) encoded once here.
    /// </summary>
    internal TopicMessage Sequenced(long offset)
    {
        TopicMessage sequenced = Kind != TopicPayload.Json
            ? CreateSequenced(Topic, Data, Kind, offset)
            : CreateSequenced(Topic, PubSubCodec.EncodeTopic(Topic), Data.Span, offset);
        sequenced.Origin = Origin;
        return sequenced;
    }

    /// <summary>A JSON message at <paramref name="offset"/> of its topic's stream, its <c>/pubsub</c> frame encoded at once (one copy of the payload).</summary>
    internal static TopicMessage CreateSequenced(string topic, ReadOnlySpan<byte> encodedTopic, ReadOnlySpan<byte> json, long offset)
    {
        byte[] frame = PubSubCodec.EncodeMessageFrame(encodedTopic, json, offset);
        return new TopicMessage(topic, frame.AsMemory(frame.Length - 1 - json.Length, json.Length))
        {
            Offset = offset,
            _encodedBy = TopicFrameFormat.PubSub,
            _encoded = frame,
        };
    }

    /// <summary>A message of another kind at <paramref name="offset"/> of its topic's stream.</summary>
    internal static TopicMessage CreateSequenced(string topic, ReadOnlyMemory<byte> data, TopicPayload kind, long offset) =>
        new(topic, data, kind) { Offset = offset };

    /// <summary>The frame of <paramref name="format"/> for this message, if it was encoded when the message was made.</summary>
    internal byte[]? EncodedFor(TopicFrameFormat format) => ReferenceEquals(_encodedBy, format) ? _encoded : null;
}

/// <summary>
/// How a subscriber wants topic messages on its WebSocket: a complete server frame made from a
/// <see cref="TopicMessage"/>. The topic actor encodes each publish once per format among its
/// subscribers, and every subscriber of that format receives the same frame.
/// </summary>
public abstract class TopicFrameFormat
{
    /// <summary>The <c>/pubsub</c> envelope: <c>{"op":"message","topic":...,"data":...}</c> in a text frame. Text payloads become JSON strings, binary ones base64 strings.</summary>
    public static readonly TopicFrameFormat PubSub = new PubSubFormat();

    /// <summary>The payload as it is: a text frame for JSON and text, a binary frame for bytes.</summary>
    public static readonly TopicFrameFormat Raw = new RawFormat();

    /// <summary>The payload as a JSON value, as the <c>/pubsub</c> envelope carries it: JSON as it is, text as a string, bytes as base64.</summary>
    internal static ReadOnlyMemory<byte> JsonOf(TopicMessage message) =>
        message.Kind switch
        {
            TopicPayload.Json => message.Data,
            TopicPayload.Text => JsonSerializer.SerializeToUtf8Bytes(System.Text.Encoding.UTF8.GetString(message.Data.Span)),
            _ => JsonSerializer.SerializeToUtf8Bytes(message.Data.ToArray()), // byte[] serializes as base64
        };

    /// <summary>The frame for <paramref name="message"/>, reusing one made with the message when there is one.</summary>
    public byte[] FrameFor(TopicMessage message) => message.EncodedFor(this) ?? Encode(message);

    /// <summary>Encodes one complete, unmasked server frame for <paramref name="message"/>.</summary>
    /// <param name="message">The message.</param>
    protected abstract byte[] Encode(TopicMessage message);

    private sealed class PubSubFormat : TopicFrameFormat
    {
        protected override byte[] Encode(TopicMessage message)
        {
            byte[] topic = PubSubCodec.EncodeTopic(message.Topic);
            if (message.Kind == TopicPayload.Json)
            {
                return PubSubCodec.EncodeMessageFrame(topic, message.Data.Span, message.Offset);
            }

            // Text and bytes travel as a JSON string in the envelope.
            var json = new System.Buffers.ArrayBufferWriter<byte>(message.Data.Length + 16);
            using (var writer = new Utf8JsonWriter(json))
            {
                if (message.Kind == TopicPayload.Text)
                {
                    writer.WriteStringValue(System.Text.Encoding.UTF8.GetString(message.Data.Span));
                }
                else
                {
                    writer.WriteBase64StringValue(message.Data.Span);
                }
            }

            return PubSubCodec.EncodeMessageFrame(topic, json.WrittenSpan, message.Offset);
        }
    }

    /// <summary>
    /// The <c>/pubsub</c> envelope compressed with permessage-deflate for subscribers that compress
    /// each message on its own with <paramref name="parameters"/> (every connection that negotiated
    /// permessage-deflate with the default <c>server-context-takeover = off</c>): compressed once per
    /// publish for all of them, as the uncompressed frame is for the others.
    /// </summary>
    internal static TopicFrameFormat PubSubCompressed(SharedCompression parameters) =>
        CompressedPubSubFormat.Formats.GetOrAdd(parameters, static key => new CompressedPubSubFormat(key));

    /// <summary>
    /// At most one instance per parameter set: the server's level and minimum size, and the window
    /// a client agreed to (8 to 15 bits): a handful at most.
    /// </summary>
    private sealed class CompressedPubSubFormat(SharedCompression parameters) : TopicFrameFormat
    {
        public static readonly ConcurrentDictionary<SharedCompression, TopicFrameFormat> Formats = new();

        protected override byte[] Encode(TopicMessage message) => parameters.Compress(PubSub.FrameFor(message));
    }

    private sealed class RawFormat : TopicFrameFormat
    {
        protected override byte[] Encode(TopicMessage message) =>
            FrameWriter.EncodeServerFrame(message.Kind == TopicPayload.Binary ? Opcode.Binary : Opcode.Text, message.Data.Span);
    }
}
