namespace ActorSocket.Protocol.PubSub;

/// <summary>Bounds the <c>/pubsub</c> parser enforces.</summary>
public sealed record PubSubLimits
{
    /// <summary>Longest topic in UTF-8 bytes. 256, fixed by the wire contract.</summary>
    public int MaxTopicBytes { get; init; } = 256;

    /// <summary>
    /// Largest <c>data</c> value of a publish, in bytes of JSON. Default 64 KiB: a realtime message
    /// is fanned out to every subscriber, so its size multiplies; larger payloads belong in a store
    /// with a link in the message.
    /// </summary>
    public int MaxPublishBytes { get; init; } = 64 * 1024;

    /// <summary>Shared default instance.</summary>
    public static PubSubLimits Default { get; } = new();
}
