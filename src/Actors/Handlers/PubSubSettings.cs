using ActorSocket.Protocol.PubSub;

namespace ActorSocket.Actors.Handlers;

/// <summary>Limits of the <c>/pubsub</c> handler.</summary>
internal sealed record PubSubSettings
{
    /// <summary>Topics one connection may be subscribed to. 100: a chat client joins a handful of rooms; the bound keeps per-connection state small.</summary>
    public int MaxTopicsPerConnection { get; init; } = 100;

    /// <summary>Topic length and publish size bounds.</summary>
    public PubSubLimits Limits { get; init; } = PubSubLimits.Default;

    /// <summary>The namespaces: which topics have history, and who may do what on them.</summary>
    public Topics.NamespaceTable Namespaces { get; init; } = Topics.NamespaceTable.None;

    /// <summary>
    /// Most bytes of message data in one <c>history</c> answer; a longer history is cut (the newest
    /// kept without <c>since</c>, the oldest after it with <c>since</c>, so that a client pages
    /// forward). 900 KiB: the answer stays under the 1 MiB message limit clients such as Python's
    /// websockets have by default.
    /// </summary>
    public int MaxHistoryReplyBytes { get; init; } = 900 * 1024;
}
