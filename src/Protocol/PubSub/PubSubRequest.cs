namespace ActorSocket.Protocol.PubSub;

/// <summary>A parsed <c>/pubsub</c> request.</summary>
/// <remarks>
/// <see cref="Data"/> and <see cref="Id"/> are slices of the parsed message (raw JSON, never
/// re-encoded): valid as long as that message's memory is. Encode the outgoing frame from them
/// before the codec is called again.
/// </remarks>
public readonly struct PubSubRequest
{
    internal PubSubRequest(PubSubOp op, string topic, ReadOnlyMemory<byte> data, ReadOnlyMemory<byte> id)
    {
        Op = op;
        Topic = topic;
        Data = data;
        Id = id;
    }

    /// <summary>The operation.</summary>
    public PubSubOp Op { get; }

    /// <summary>The topic: a non-empty string of at most 256 UTF-8 bytes.</summary>
    public string Topic { get; }

    /// <summary>For a publish, the <c>data</c> value exactly as it arrived (raw JSON bytes).</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>The raw JSON of <c>id</c> (a string with its quotes, or a number); empty when absent.</summary>
    public ReadOnlyMemory<byte> Id { get; }

    /// <summary>Whether the client asked for an ack.</summary>
    public bool HasId => !Id.IsEmpty;
}
