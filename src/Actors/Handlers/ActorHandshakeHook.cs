using Akka.Actor;

namespace ActorSocket.Actors.Handlers;

/// <summary>
/// A handshake hook that is an actor: it is sent the <see cref="HandshakeContext"/> and answers with a
/// <see cref="HandshakeVerdict"/> within the timeout (otherwise the client gets 503), so a decision can
/// use the actor's state (a session table, a rate limiter) without locks.
/// </summary>
public sealed class ActorHandshakeHook : IHandshakeHook
{
    private readonly IActorRef _decider;
    private readonly TimeSpan _timeout;

    /// <summary>Asks <paramref name="decider"/>, waiting at most <paramref name="timeout"/>.</summary>
    public ActorHandshakeHook(IActorRef decider, TimeSpan timeout)
    {
        _decider = decider;
        _timeout = timeout;
    }

    /// <inheritdoc />
    public async ValueTask<HandshakeVerdict> DecideAsync(HandshakeContext context, CancellationToken cancellationToken)
    {
        try
        {
            return await _decider.Ask<HandshakeVerdict>(context, _timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (AskTimeoutException)
        {
            return HandshakeVerdict.Refuse(503, "the handshake could not be decided in time");
        }
    }
}
