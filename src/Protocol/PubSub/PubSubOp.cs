namespace ActorSocket.Protocol.PubSub;

/// <summary>The client operations of the <c>/pubsub</c> protocol.</summary>
public enum PubSubOp
{
    /// <summary><c>{"op":"subscribe","topic":...}</c></summary>
    Subscribe,

    /// <summary><c>{"op":"unsubscribe","topic":...}</c></summary>
    Unsubscribe,

    /// <summary><c>{"op":"publish","topic":...,"data":...}</c></summary>
    Publish,

    /// <summary><c>{"op":"history","topic":...,"limit":N,"since":{...}}</c>: the kept messages of a topic with history.</summary>
    History,

    /// <summary><c>{"op":"connect","token":...}</c>: the connection presents a token (or, without one, asks for its client id).</summary>
    Connect,

    /// <summary><c>{"op":"refresh","token":...}</c>: a new token for the same user, before the current one expires.</summary>
    Refresh,

    /// <summary><c>{"op":"presence","topic":...}</c>: who is present on a topic (client, user, info of each).</summary>
    Presence,

    /// <summary><c>{"op":"presence-stats","topic":...}</c>: how many clients and distinct users are present.</summary>
    PresenceStats,
}
