namespace ActorSocket.Actors.Topics;

/// <summary>Settings of the topic layer.</summary>
public sealed record TopicSettings
{
    /// <summary>How long a topic without subscribers lives on. 30 s: a reconnecting client finds its topic still there; a dead one costs nothing for long.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
