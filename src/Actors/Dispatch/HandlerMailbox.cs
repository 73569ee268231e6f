using ActorSocket.Actors.Handlers;
using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace ActorSocket.Actors.Dispatch;

/// <summary>
/// The handler actors' mailbox: an unbounded queue that tells the connection (the handler's
/// parent) <see cref="Connection.Ack"/> each time the handler takes a client message. The
/// connection counts what it handed over and not yet acknowledged, and stops reading its socket
/// at <c>actorsocket.handler-queue</c>: a slow or blocked handler, whatever its code, holds a
/// bounded number of messages.
/// </summary>
/// <remarks>Configured as <c>actorsocket.handler-mailbox</c>; set on a handler's props unless they name a mailbox of their own.</remarks>
internal sealed class HandlerMailbox : MailboxType, IProducesMessageQueue<HandlerMessageQueue>
{
    /// <summary>Created by Akka from the mailbox configuration.</summary>
    public HandlerMailbox(Settings settings, Config config)
        : base(settings, config)
    {
    }

    /// <inheritdoc />
    public override IMessageQueue Create(IActorRef owner, ActorSystem system) =>
        new HandlerMessageQueue((owner as IInternalActorRef)?.Parent);
}

/// <summary>A queue that acknowledges client messages to the connection as they are dequeued.</summary>
internal sealed class HandlerMessageQueue : IMessageQueue, IUnboundedMessageQueueSemantics
{
    private readonly UnboundedMessageQueue _queue = new();
    private readonly IActorRef? _connection;

    internal HandlerMessageQueue(IActorRef? connection) => _connection = connection;

    /// <inheritdoc />
    public bool HasMessages => _queue.HasMessages;

    /// <inheritdoc />
    public int Count => _queue.Count;

    /// <inheritdoc />
    public void Enqueue(IActorRef receiver, Envelope envelope) => _queue.Enqueue(receiver, envelope);

    /// <inheritdoc />
    public bool TryDequeue(out Envelope envelope)
    {
        if (!_queue.TryDequeue(out envelope))
        {
            return false;
        }

        if (envelope.Message is Handler.TextMessage or Handler.BinaryMessage)
        {
            _connection?.Tell(Connection.Ack.Instance, ActorRefs.NoSender);
        }

        return true;
    }

    /// <inheritdoc />
    public void CleanUp(IActorRef owner, IMessageQueue deadletters) => _queue.CleanUp(owner, deadletters);
}
