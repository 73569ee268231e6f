using ActorSocket.Protocol.PubSub;

namespace ActorSocket.Actors.Handlers;

/// <summary>Limits of the <c>/pubsub</c> handler.</summary>
internal sealed record PubSubSettings
{
    /// <summary>Topics one connection may be subscribed to. 100: a chat client joins a handful of rooms; the bound keeps per-connection state small.</summary>
    public int MaxTopicsPerConnection { get; init; } = 100;

    /// <summary>Topic length and publish size bounds.</summary>
    public PubSubLimits Limits { get; init; } = PubSubLimits.Default;
}
