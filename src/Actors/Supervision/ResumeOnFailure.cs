using Akka.Actor;

namespace ActorSocket.Actors.Supervision;

/// <summary>
/// The supervision of ActorSocket's long-lived actors (the connections supervisor, the topic
/// registry, topic actors): an exception while handling one message is a bug, logged with its
/// stack trace, and the actor resumes with its state. The default (restart) would throw that state
/// away: a restarted registry stops every topic, a restarted topic forgets its subscribers, who
/// would then silently receive nothing; a restarted connections supervisor drops every client.
/// </summary>
/// <remarks>Configured for the top-level actors as <c>akka.actor.guardian-supervisor-strategy</c>.</remarks>
internal sealed class ResumeOnFailure : SupervisorStrategyConfigurator
{
    /// <summary>The strategy: resume the failed child, one child at a time.</summary>
    public static SupervisorStrategy Strategy { get; } = new OneForOneStrategy(_ => Directive.Resume);

    /// <inheritdoc />
    public override SupervisorStrategy Create() => Strategy;
}
