using ActorSocket.Actors.Topics;
using ActorSocket.Protocol;
using ActorSocket.Protocol.PubSub;

namespace ActorSocket.Actors.Handlers;

/// <summary>
/// The built-in <c>/pubsub</c>: the JSON protocol of <c>docs/protocol.md</c> over the topic backend, run
/// inside the connection actor. The connection is the subscriber, so a published frame goes from
/// the topic straight to it; requests are parsed in the decoder's buffer and acknowledgements come
/// back to the connection actor, which hands them here.
/// </summary>
internal sealed class InlinePubSubHandler : InlineHandler
{
    private readonly PubSubSettings _settings;
    private HashSet<string>? _subscribed;

    /// <summary>Creates the handler of one connection.</summary>
    public InlinePubSubHandler(PubSubSettings settings)
    {
        _settings = settings;
    }

    /// <inheritdoc />
    public override void OnText(ReadOnlyMemory<byte> utf8, IInlineConnection connection)
    {
        if (!PubSubCodec.TryParse(utf8, _settings.Limits, out PubSubRequest request, out PubSubError error))
        {
            connection.SendText(PubSubCodec.EncodeError(error));
            return;
        }

        // Every request goes with an answer the connection counts (IInlineConnection.BeginPending):
        // a client cannot have more than the window outstanding in the topics' mailboxes.
        var ack = new Acked(request.HasId ? request.Id.ToArray() : null);
        NamespaceSettings space = _settings.Namespaces.For(request.Topic);
        if (Refusal(request, space) is { } refusal)
        {
            connection.SendText(PubSubCodec.EncodeError(refusal));
            return;
        }

        switch (request.Op)
        {
            case PubSubOp.Subscribe:
                _subscribed ??= new HashSet<string>(StringComparer.Ordinal);
                if (!_subscribed.Contains(request.Topic) && _subscribed.Count >= _settings.MaxTopicsPerConnection)
                {
                    connection.SendText(PubSubCodec.EncodeError(new PubSubError(PubSubError.Forbidden, "at most " + _settings.MaxTopicsPerConnection + " topics per connection", request.Id)));
                    return;
                }

                _subscribed.Add(request.Topic);
                connection.BeginPending();
                connection.Topics.Tell(new Topic.Subscribe(request.Topic, connection.Self, ack with { Topic = request.Topic }, AcceptsBatches: true, Format: TopicFormat(connection), Since: request.Since), connection.Self);
                break;
            case PubSubOp.History:
                connection.BeginPending();
                connection.Topics.Tell(new Topic.History(request.Topic, request.Limit, request.Since, ack with { Since = request.Since is not null }), connection.Self);
                break;
            case PubSubOp.Unsubscribe:
                _subscribed?.Remove(request.Topic);
                connection.BeginPending();
                connection.Topics.Tell(new Topic.Unsubscribe(request.Topic, connection.Self, ack), connection.Self);
                break;
            case PubSubOp.Publish:
                // Encoded once, here; every subscriber gets the same frame.
                connection.BeginPending();
                connection.Topics.Tell(new Topic.Publish(TopicMessage.Create(request.Topic, request.Data.Span), ack), connection.Self);
                break;
        }
    }

    /// <summary>
    /// Why the namespace refuses <paramref name="request"/>, or null: <c>since</c> and <c>history</c>
    /// where there is no history, and the namespace's permissions. Connections have no identity
    /// (yet), so a rule that needs one answers <c>unauthorized</c>.
    /// </summary>
    private static PubSubError? Refusal(in PubSubRequest request, NamespaceSettings space)
    {
        if (!space.HasHistory && (request.Op == PubSubOp.History || request.Since is not null))
        {
            return new PubSubError(PubSubError.BadRequest, request.Op == PubSubOp.History ? "topic " + request.Topic + " keeps no history" : "since is only allowed on topics with history", request.Id);
        }

        (Permission rule, string what) = request.Op switch
        {
            PubSubOp.Subscribe => (space.AllowSubscribe, "subscribe to"),
            PubSubOp.Publish => (space.AllowPublish, "publish on"),
            PubSubOp.History => (space.AllowHistory, "read the history of"),
            _ => (Permission.Anyone, string.Empty),
        };
        return rule switch
        {
            Permission.Anyone => null,
            Permission.Nobody => new PubSubError(PubSubError.Forbidden, "nobody may " + what + " topics of this namespace", request.Id),
            _ => new PubSubError(PubSubError.Unauthorized, "only authenticated connections may " + what + " topics of this namespace", request.Id),
        };
    }

    /// <summary>
    /// The frames this connection's subscriptions take: compressed once per publish for every
    /// connection that compresses the same way, the plain envelope otherwise.
    /// </summary>
    private static TopicFrameFormat TopicFormat(IInlineConnection connection) =>
        connection is Connections.ConnectionActor { SharedCompression: { } compression } ? TopicFrameFormat.PubSubCompressed(compression) : TopicFrameFormat.PubSub;

    public override void OnBinary(ReadOnlyMemory<byte> data, IInlineConnection connection) =>
        // docs/protocol.md: a binary frame on /pubsub closes the connection with 1003.
        connection.Close(CloseCode.UnsupportedData, "binary frames are not accepted on /pubsub");

    /// <inheritdoc />
    public override bool OnMessage(object message, IInlineConnection connection)
    {
        // EndPending comes last: it may resume the connection's reading, which hands this handler the
        // requests held back meanwhile, so this answer and its state change must be done by then.
        if (message is TopicRefused { Ack: Acked refusedRequest } refused)
        {
            if (refusedRequest.Topic is { } topic)
            {
                _subscribed?.Remove(topic); // the subscription was not made
            }

            connection.SendText(PubSubCodec.EncodeError(new PubSubError(refused.Code, refused.Message, refusedRequest.Id)));
            connection.EndPending();
            return true;
        }

        switch (message)
        {
            case Topic.Subscribed { Ack: Acked subscribed } positioned:
                // On a topic with history the position is the answer's point: sent even without an id.
                connection.SendText(PubSubCodec.EncodePositionAck(subscribed.Id, positioned.Position, positioned.Recovered));
                connection.EndPending();
                return true;
            case Topic.HistoryRead { Ack: Acked asked } read:
                connection.SendText(EncodeHistory(read, asked.Since, _settings.MaxHistoryReplyBytes, asked.Id));
                connection.EndPending();
                return true;
        }

        if (message is not Acked acked)
        {
            return false;
        }

        if (acked.Id is not null)
        {
            connection.SendText(PubSubCodec.EncodeAck(acked.Id));
        }

        connection.EndPending();
        return true;
    }

    /// <summary>
    /// A history answer cut to <paramref name="maxBytes"/> of data: without <c>since</c> the newest
    /// messages that fit, with it the oldest after it (the client asks again from the last one).
    /// </summary>
    private static byte[] EncodeHistory(Topic.HistoryRead read, bool since, int maxBytes, byte[]? id)
    {
        IReadOnlyList<TopicMessage> messages = read.Messages;
        int count = 0;
        long bytes = 0;
        for (int i = 0; i < messages.Count; i++)
        {
            TopicMessage message = messages[since ? i : messages.Count - 1 - i];
            bytes += message.Data.Length + 32;
            if (bytes > maxBytes && count > 0)
            {
                break;
            }

            count++;
        }

        IEnumerable<TopicMessage> kept = since ? messages.Take(count) : messages.Skip(messages.Count - count);
        return PubSubCodec.EncodeHistory(id, read.Topic, read.Position, read.Recovered, [.. kept.Select(message => (message.Offset, TopicFrameFormat.JsonOf(message)))]);
    }

    /// <summary>
    /// The backend's answer to a request; <paramref name="Id"/> is the client's id to acknowledge, if
    /// it gave one; <paramref name="Topic"/> the topic of a subscribe; <paramref name="Since"/> whether a
    /// history request named a position.
    /// </summary>
    private sealed record Acked(byte[]? Id, string? Topic = null, bool Since = false);
}
