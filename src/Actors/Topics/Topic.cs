using Akka.Actor;

namespace ActorSocket.Actors.Topics;

/// <summary>
/// The topic protocol: what a topic backend (the local <see cref="TopicRegistry"/>, or a cluster
/// backend) accepts. Any actor may use it, not only WebSocket connections.
/// </summary>
/// <remarks>
/// Every command carries an optional acknowledgement: the backend sends it back to the command's
/// sender once the command has taken effect. For a subscribe that means every message published
/// after the acknowledgement reaches the subscriber; for a publish, that it was handed to every
/// subscriber of the moment. Messages from one sender on one topic reach each subscriber in order.
/// </remarks>
public static class Topic
{
    /// <summary>Marker of topic commands.</summary>
    public interface ICommand
    {
        /// <summary>The topic the command is about.</summary>
        string Name { get; }
    }

    /// <summary>
    /// Adds <paramref name="Subscriber"/> to topic <paramref name="Name"/>. Without a
    /// <paramref name="Format"/> it receives each <see cref="TopicMessage"/>; with one (a connection,
    /// usually) it receives <see cref="Handlers.Connection.SendEncodedFrame"/> with the message's frame
    /// in that format, encoded once per publish for every subscriber of the format.
    /// </summary>
    /// <param name="Name">The topic.</param>
    /// <param name="Subscriber">Who receives the messages; watched, so it leaves the topic when it stops.</param>
    /// <param name="Ack">Sent back to the sender once the subscription is in place, or null.</param>
    /// <param name="AcceptsBatches">
    /// Whether the subscriber also takes several messages in order in one envelope
    /// (<see cref="TopicMessages"/>, or <see cref="Handlers.Connection.SendEncodedFrames"/> with a
    /// format): one mailbox operation where there would be many. Connections do; by default a
    /// subscriber receives every message on its own.
    /// </param>
    /// <param name="Format">How the subscriber wants each message as a WebSocket frame, or null for the message itself.</param>
    public sealed record Subscribe(string Name, IActorRef Subscriber, object? Ack = null, bool AcceptsBatches = false, TopicFrameFormat? Format = null) : ICommand;

    /// <summary>Removes <paramref name="Subscriber"/> from topic <paramref name="Name"/>.</summary>
    /// <param name="Name">The topic.</param>
    /// <param name="Subscriber">The subscriber to remove.</param>
    /// <param name="Ack">Sent back to the sender once removed, or null.</param>
    public sealed record Unsubscribe(string Name, IActorRef Subscriber, object? Ack = null) : ICommand;

    /// <summary>Hands <paramref name="Message"/> to every subscriber of its topic.</summary>
    /// <param name="Message">The message, encoded once; the same object reaches every subscriber.</param>
    /// <param name="Ack">Sent back to the sender once delivered to the subscribers, or null.</param>
    public sealed record Publish(TopicMessage Message, object? Ack = null) : ICommand
    {
        /// <inheritdoc />
        public string Name => Message.Topic;
    }
}

/// <summary>
/// The answer to a command that was refused, sent to its sender instead of its acknowledgement.
/// </summary>
/// <param name="Ack">The acknowledgement the command carried (null when it carried none).</param>
/// <param name="Code">The error code for the client (<c>unavailable</c>).</param>
/// <param name="Message">Why, in a sentence.</param>
public sealed record TopicRefused(object? Ack, string Code, string Message);

/// <summary>
/// Several messages of one topic, oldest first, delivered at once to a subscriber that asked for
/// batches (<see cref="Topic.Subscribe.AcceptsBatches"/>): a batch that arrived from another node
/// reaches such a subscriber in one mailbox operation.
/// </summary>
/// <param name="Messages">The messages, each the same object every subscriber receives.</param>
public sealed record TopicMessages(IReadOnlyList<TopicMessage> Messages);
