using ActorSocket.Protocol.PubSub;

namespace ActorSocket.Actors.Topics;

/// <summary>
/// One published message as every subscriber receives it: the same immutable object for all of
/// them, with the final WebSocket frame already encoded.
/// </summary>
/// <param name="Topic">The topic it was published on.</param>
/// <param name="Data">The published value as raw JSON bytes, exactly as they arrived.</param>
/// <param name="Frame">The complete server text frame <c>{"op":"message","topic":...,"data":...}</c>.</param>
public sealed record TopicMessage(string Topic, ReadOnlyMemory<byte> Data, byte[] Frame)
{
    /// <summary>Encodes a message once for all subscribers.</summary>
    /// <param name="topic">The topic.</param>
    /// <param name="data">The value as raw JSON; copied once, into the frame.</param>
    public static TopicMessage Create(string topic, ReadOnlySpan<byte> data) =>
        Create(topic, PubSubCodec.EncodeTopic(topic), data);

    /// <summary>Encodes a message with a topic already encoded by <see cref="PubSubCodec.EncodeTopic"/>.</summary>
    /// <param name="topic">The topic.</param>
    /// <param name="encodedTopic">The topic as a JSON string literal.</param>
    /// <param name="data">The value as raw JSON; copied once, into the frame.</param>
    public static TopicMessage Create(string topic, ReadOnlySpan<byte> encodedTopic, ReadOnlySpan<byte> data)
    {
        byte[] frame = PubSubCodec.EncodeMessageFrame(encodedTopic, data);
        // The frame ends with the data and a closing brace: Data is that slice, not a second copy.
        return new TopicMessage(topic, frame.AsMemory(frame.Length - 1 - data.Length, data.Length), frame);
    }
}
