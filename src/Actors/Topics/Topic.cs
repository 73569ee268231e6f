using ActorSocket.Protocol.PubSub;
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
    /// <param name="Since">
    /// On a topic with history: the last position the subscriber saw. The messages after it are
    /// replayed before any newer one when the stream still has all of them, else none
    /// (<see cref="Subscribed.Recovered"/> says which). Refused on a topic without history.
    /// </param>
    /// <param name="Origin">
    /// The subscriber's origin tag (0: none): a message published with the same tag (a publish with
    /// <c>"echo": false</c> from the same connection) is not delivered to it.
    /// </param>
    /// <remarks>On a topic with history the acknowledgement arrives wrapped in a <see cref="Subscribed"/>, before any message.</remarks>
    public sealed record Subscribe(string Name, IActorRef Subscriber, object? Ack = null, bool AcceptsBatches = false, TopicFrameFormat? Format = null, PubSubPosition? Since = null, long Origin = 0) : ICommand
    {
        /// <summary>Who the subscriber is, where the namespace has presence (a <c>/pubsub</c> connection); null: not present.</summary>
        internal PresenceEntry? Presence { get; init; }
    }

    /// <summary>
    /// The acknowledgement of a subscribe to a topic with history: the stream's position when the
    /// subscription took effect, and whether the messages after the subscriber's <c>Since</c> follow.
    /// </summary>
    /// <param name="Ack">The acknowledgement the subscribe carried.</param>
    /// <param name="Position">The stream's epoch and the offset of its last message (0 when none).</param>
    /// <param name="Recovered">With <c>Since</c>: true when the missed messages follow, false when none will; null without.</param>
    public sealed record Subscribed(object? Ack, PubSubPosition Position, bool? Recovered);

    /// <summary>Reads the history of a topic with history; answered with <see cref="HistoryRead"/>.</summary>
    /// <param name="Name">The topic.</param>
    /// <param name="Limit">The most messages wanted (-1: all kept; 0: only the position).</param>
    /// <param name="Since">When given, the messages after this position (the oldest first), or none when they are not all kept.</param>
    /// <param name="Ack">Carried back in the answer.</param>
    public sealed record History(string Name, int Limit = -1, PubSubPosition? Since = null, object? Ack = null) : ICommand;

    /// <summary>The answer to <see cref="History"/>.</summary>
    /// <param name="Ack">The acknowledgement the request carried.</param>
    /// <param name="Topic">The topic.</param>
    /// <param name="Position">The stream's epoch and the offset of its last message.</param>
    /// <param name="Recovered">With <c>Since</c>: whether every message after it was kept; null without.</param>
    /// <param name="Messages">The messages, oldest first, each with its <see cref="TopicMessage.Offset"/>.</param>
    public sealed record HistoryRead(object? Ack, string Topic, PubSubPosition Position, bool? Recovered, IReadOnlyList<TopicMessage> Messages);

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

        /// <summary>
        /// On a topic with history, answer with <see cref="Published"/> (the message's position)
        /// instead of the bare acknowledgement; the server API asks for it.
        /// </summary>
        internal bool WantsPosition { get; init; }
    }

    /// <summary>The answer to a <see cref="Publish"/> that wanted its position, on a topic with history.</summary>
    /// <param name="Ack">The acknowledgement the publish carried.</param>
    /// <param name="Position">The stream's epoch and the offset the message was given.</param>
    internal sealed record Published(object? Ack, PubSubPosition Position);
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

/// <summary>Asks a topic for its presence (or only its counts), answered with <see cref="PresenceAnswer"/>.</summary>
/// <param name="Name">The topic.</param>
/// <param name="Stats">True: the counts only (<c>presence-stats</c>).</param>
/// <param name="Id">The request's raw id JSON, for the answer; empty when none.</param>
/// <param name="Ack">Carried back in the answer.</param>
internal sealed record PresenceQuery(string Name, bool Stats, byte[]? Id, object? Ack) : Topic.ICommand;

/// <summary>The answer to a <see cref="PresenceQuery"/>: the frame for the client, encoded by the topic.</summary>
/// <param name="Ack">The query's acknowledgement.</param>
/// <param name="Frame">The <c>presence</c> or <c>presence-stats</c> answer as UTF-8 JSON.</param>
internal sealed record PresenceAnswer(object? Ack, byte[] Frame);
