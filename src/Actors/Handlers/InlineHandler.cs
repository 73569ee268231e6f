using ActorSocket.Protocol;
using Akka.Actor;

namespace ActorSocket.Actors.Handlers;

/// <summary>
/// What an <see cref="InlineHandler"/> may do with its connection. Valid only during a call from the
/// connection actor, on its thread: keep no reference to it for later.
/// </summary>
/// <remarks>
/// Who is connected (request, remote address, identity) is given once, to the route's factory
/// (<see cref="Route.ForInline"/>): a handler that needs it later keeps it, so that connections whose
/// handler does not hold no copy of their handshake request.
/// </remarks>
public interface IInlineConnection
{
    /// <summary>The connection actor: subscribe it to topics (it receives their frames itself), or make it the sender of requests whose answers the handler wants (see <see cref="InlineHandler.OnMessage"/>).</summary>
    IActorRef Self { get; }

    /// <summary>The server's topic backend (<see cref="Topics.Topic"/> protocol).</summary>
    IActorRef Topics { get; }

    /// <summary>Queues a text message (its bytes are copied into the outbound buffer; the span may be reused after the call).</summary>
    void SendText(ReadOnlySpan<byte> utf8);

    /// <summary>Queues a binary message (copied, as <see cref="SendText"/>).</summary>
    void SendBinary(ReadOnlySpan<byte> data);

    /// <summary>Starts the close handshake with <paramref name="code"/>.</summary>
    void Close(CloseCode code, string reason);

    /// <summary>
    /// Closes the connection with <paramref name="code"/> and <paramref name="reason"/> once
    /// <paramref name="after"/> has passed, unless called again before (the newest call wins; null
    /// removes the deadline). For a token's expiry: checked by the keepalive clock, at most its
    /// resolution (1 s with the default ping interval) late, with no timer per connection.
    /// </summary>
    void SetDeadline(TimeSpan? after, CloseCode code, string reason);

    /// <summary>
    /// Counts a request the handler handed to another actor (a publish to a topic) and whose answer
    /// it waits for. While <see cref="Connections.ConnectionSettings.InlinePending"/> are pending the socket is not
    /// read, so a client that sends faster than the backend takes its requests is slowed by TCP
    /// instead of growing mailboxes.
    /// </summary>
    void BeginPending();

    /// <summary>
    /// One request counted by <see cref="BeginPending"/> was answered. It may resume reading at once,
    /// handing the handler requests that were held back: call it after the handler's own work for
    /// the answer is done.
    /// </summary>
    void EndPending();
}

/// <summary>
/// A handler that runs inside its connection actor, on the actor's own thread: no handler actor, no
/// mailbox hop, and the message is handed over in the decoder's buffer, without a copy.
/// For handlers that never block and keep little state; the built-in <c>/echo</c> and <c>/pubsub</c>
/// are inline. A handler that may block, or that needs to be an actor of its own, is a plugin actor
/// (<see cref="Route.ForActor"/>), run on the isolated handler dispatcher.
/// </summary>
/// <remarks>
/// An exception from a call closes the connection with 1011 and is logged, as a failing handler
/// actor is. The connection's inbound back-pressure is natural: the next read happens after the call.
/// </remarks>
public abstract class InlineHandler
{
    /// <summary>A complete text message, as validated UTF-8: the decoder's own memory, valid only during the call (copy what you keep).</summary>
    public abstract void OnText(ReadOnlyMemory<byte> utf8, IInlineConnection connection);

    /// <summary>A complete binary message, valid only during the call, as <see cref="OnText"/>.</summary>
    public abstract void OnBinary(ReadOnlyMemory<byte> data, IInlineConnection connection);

    /// <summary>
    /// Any other message the connection actor received (an acknowledgement the handler asked for
    /// with the connection as sender). Returns whether it was the handler's.
    /// </summary>
    public virtual bool OnMessage(object message, IInlineConnection connection) => false;
}

/// <summary>The built-in <c>/echo</c>: every message comes back unchanged, with the same type, straight from the decoder's buffer.</summary>
internal sealed class InlineEchoHandler : InlineHandler
{
    /// <summary>Echo handlers keep no state: one instance serves every connection.</summary>
    public static readonly InlineEchoHandler Instance = new();

    /// <inheritdoc />
    public override void OnText(ReadOnlyMemory<byte> utf8, IInlineConnection connection) => connection.SendText(utf8.Span);

    /// <inheritdoc />
    public override void OnBinary(ReadOnlyMemory<byte> data, IInlineConnection connection) => connection.SendBinary(data.Span);
}
