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

    /// <summary>The topic: a non-empty string of at most 256 UTF-8 bytes (empty for <c>connect</c> and <c>refresh</c>).</summary>
    public string Topic { get; }

    /// <summary>For a publish, the <c>data</c> value exactly as it arrived (raw JSON bytes).</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>The raw JSON of <c>id</c> (a string with its quotes, or a number); empty when absent.</summary>
    public ReadOnlyMemory<byte> Id { get; }

    /// <summary>Whether the client asked for an ack.</summary>
    public bool HasId => !Id.IsEmpty;

    /// <summary>For a subscribe or history request, the position the client has seen (<c>since</c>); null when absent.</summary>
    public PubSubPosition? Since { get; init; }

    /// <summary>For a history request, the most messages wanted; -1 when absent (all kept).</summary>
    public int Limit { get; init; }

    /// <summary>For <c>connect</c> and <c>refresh</c>, the token; null when absent.</summary>
    public string? Token { get; init; }

    /// <summary>For a publish, whether the publishing connection receives its own message (when subscribed): false with <c>"echo":false</c>.</summary>
    public bool Echo { get; init; }
}

/// <summary>A position in a topic's stream as a client names it: the stream's epoch and an offset in it.</summary>
/// <param name="Epoch">The epoch the client saw (any string; one that does not match is simply not recovered).</param>
/// <param name="Offset">The last offset the client received, 0..2^53.</param>
public readonly record struct PubSubPosition(string Epoch, long Offset);
