using ActorSocket.Actors.Identity;
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
    private readonly long _connectionId;
    private HashSet<string>? _subscribed;
    private ClientIdentity? _identity;
    private string? _clientId; // made once: every presence entry of the connection shares it

    // Rate limits: token buckets, used only where a limit is configured.
    private TokenBucket _requests;
    private TokenBucket _publishes;
    private TokenBucket _errors;
    private Dictionary<string, TokenBucket>? _namespacePublishes;

    // Publishes waiting for the user's bucket (per-user limits), in the order they were made.
    private Queue<Deferred>? _deferred;
    private long _userAsks;


    /// <summary>Creates the handler of one connection, anonymous.</summary>
    public InlinePubSubHandler(PubSubSettings settings)
        : this(settings, null)
    {
    }

    /// <summary>Creates the handler of the connection <paramref name="info"/> describes: its identity is the handshake's, if any.</summary>
    public InlinePubSubHandler(PubSubSettings settings, ConnectionInfo? info)
    {
        _settings = settings;
        _connectionId = info?.Id ?? 0;
        _identity = info?.Identity as ClientIdentity;
    }

    /// <summary>The connection's id in the cluster: the node's tag and the connection's number.</summary>
    private string ClientId => _clientId ??= _settings.NodeNumber.ToString("x8", System.Globalization.CultureInfo.InvariantCulture) + "-" + _connectionId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// The connection's origin tag, unique in the cluster: the node's number and the connection's.
    /// Its subscriptions carry it, and its publishes with <c>"echo": false</c>, so that a topic skips
    /// the publisher.
    /// </summary>
    private long Origin => ((long)_settings.NodeNumber << 32) | (uint)_connectionId;

    /// <inheritdoc />
    public override void OnText(ReadOnlyMemory<byte> utf8, IInlineConnection connection)
    {
        bool parsed = PubSubCodec.TryParse(utf8, _settings.Limits, out PubSubRequest request, out PubSubError error);
        if (_settings.RateLimits.Requests.IsSet && !Within(ref _requests, _settings.RateLimits.Requests, parsed ? request.Id : error.Id, "requests", connection))
        {
            return;
        }

        if (!parsed)
        {
            connection.SendText(PubSubCodec.EncodeError(error));
            return;
        }

        if (request.Op is PubSubOp.Connect or PubSubOp.Refresh)
        {
            OnToken(request, connection);
            return;
        }

        // Every request goes with an answer the connection counts (IInlineConnection.BeginPending):
        // a client cannot have more than the window outstanding in the topics' mailboxes.
        var ack = new Acked(request.HasId ? request.Id.ToArray() : null);
        NamespaceSettings space = _settings.Namespaces.For(request.Topic);
        if (Refusal(request, space, _identity) is { } refusal)
        {
            _settings.Metrics?.PermissionRefusals.WithLabels(refusal.Code).Inc();
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
                connection.Topics.Tell(
                    new Topic.Subscribe(request.Topic, connection.Self, ack with { Topic = request.Topic }, AcceptsBatches: true, Format: TopicFormat(connection), Since: request.Since, Origin: Origin)
                    {
                        // Where the namespace has presence, a subscribed connection is present: its id, user and info.
                        Presence = space.Presence && !TopicPattern.IsPattern(request.Topic) ? new PresenceEntry(ClientId, _identity?.User ?? string.Empty, _identity?.InfoJson ?? default) : null,
                    },
                    connection.Self);
                break;
            case PubSubOp.Presence or PubSubOp.PresenceStats:
                connection.BeginPending();
                connection.Topics.Tell(new PresenceQuery(request.Topic, request.Op == PubSubOp.PresenceStats, request.HasId ? request.Id.ToArray() : null, ack), connection.Self);
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
                // The namespace's own limit first: a publish it refuses takes nothing from the connection's.
                if (space.PublishLimit.IsSet && !WithinNamespace(space, request.Id, connection))
                {
                    return;
                }

                if (_settings.RateLimits.Publishes.IsSet && !Within(ref _publishes, _settings.RateLimits.Publishes, request.Id, "publishes", connection))
                {
                    return;
                }

                // Encoded once, here; every subscriber gets the same frame.
                var message = TopicMessage.Create(request.Topic, request.Data.Span);
                if (!request.Echo)
                {
                    message.Origin = Origin;
                }

                connection.BeginPending();
                if (_settings.RateLimits.UserPublishes is { IsSet: true } userLimit && _identity is { } user && _settings.UserLimits is { } gate)
                {
                    // The user's bucket is shared by all their connections, on every node: asked first,
                    // the publish goes on when it answers (in order, whatever the order of answers).
                    long correlation = ++_userAsks;
                    (_deferred ??= new Queue<Deferred>()).Enqueue(new Deferred(correlation, message, ack));
                    gate.Tell(new UserTake(user.User, correlation, userLimit.PerSecond, userLimit.Burst), connection.Self);
                    break;
                }

                connection.Topics.Tell(new Topic.Publish(message, ack), connection.Self);
                break;
        }
    }

    /// <summary>The user's bucket answered: publishes whose turn has come go on, or are answered <c>rate_limited</c>.</summary>
    private void OnUserVerdict(UserVerdict verdict, IInlineConnection connection)
    {
        if (_deferred is null)
        {
            return;
        }

        foreach (Deferred waiting in _deferred)
        {
            if (waiting.Correlation == verdict.Correlation)
            {
                waiting.RetryAfterMs = verdict.RetryAfterMs;
                break;
            }
        }

        while (_deferred.TryPeek(out Deferred? head) && head.RetryAfterMs is { } retryAfter)
        {
            _deferred.Dequeue();
            if (retryAfter == 0)
            {
                connection.Topics.Tell(new Topic.Publish(head.Message, head.Ack), connection.Self);
            }
            else
            {
                RateLimited(head.Ack.Id, "publishes of this user (all connections)", retryAfter, _settings.Clock(), connection);
                connection.EndPending();
            }
        }
    }

    /// <summary>A publish waiting for its user's bucket.</summary>
    private sealed class Deferred(long correlation, TopicMessage message, Acked ack)
    {
        public long Correlation { get; } = correlation;

        public TopicMessage Message { get; } = message;

        public Acked Ack { get; } = ack;

        public long? RetryAfterMs { get; set; }
    }

    /// <summary><c>connect</c> and <c>refresh</c>: a token becomes (or renews) the connection's identity.</summary>
    private void OnToken(in PubSubRequest request, IInlineConnection connection)
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        if (request.Op == PubSubOp.Connect && request.Token is null)
        {
            // A connect without a token asks who the connection is: anonymous, or the handshake's identity.
            connection.SendText(PubSubCodec.EncodeConnected(request.Id.Span, ClientId, _identity?.User ?? string.Empty, ExpiresIn(_identity, now)));
            return;
        }

        TokenCheck check = _settings.Jwt is { } jwt ? jwt.Validate(request.Token!) : TokenCheck.Refused("this server accepts no tokens (no key is configured)");
        string stage = request.Op == PubSubOp.Connect ? "connect" : "refresh";
        if (check.Identity is not { } identity)
        {
            _settings.Metrics?.TokenRefusals.WithLabels(stage).Inc();
            connection.SendText(PubSubCodec.EncodeError(new PubSubError(PubSubError.Unauthorized, check.Reason!, request.Id)));
            if (request.Op == PubSubOp.Connect)
            {
                // The contract: an invalid token in connect closes with 3000; refresh keeps the connection
                // (its current token is still valid until it expires).
                connection.Close(CloseCode.Unauthorized, "unauthorized");
            }

            return;
        }

        if (request.Op == PubSubOp.Refresh && _identity is null)
        {
            connection.SendText(PubSubCodec.EncodeError(new PubSubError(PubSubError.Unauthorized, "refresh renews a token: send connect first", request.Id)));
            return;
        }

        if (_identity is not null && !string.Equals(_identity.User, identity.User, StringComparison.Ordinal))
        {
            // A token for another user may not take over a connection (nor widen its grants).
            _settings.Metrics?.TokenRefusals.WithLabels(stage).Inc();
            connection.SendText(PubSubCodec.EncodeError(new PubSubError(PubSubError.Unauthorized, "the token is for another user than the connection's", request.Id)));
            return;
        }

        _identity = identity;
        (connection as Connections.ConnectionActor)?.IdentifiedAs(identity.User); // the server API's commands for this user reach it
        TimeSpan grace = _settings.Jwt!.Settings.ExpiryGrace;
        connection.SetDeadline(identity.ExpiresAt is { } expires ? expires - now + grace : null, CloseCode.TokenExpired, "token expired");
        if (request.Op == PubSubOp.Connect)
        {
            connection.SendText(PubSubCodec.EncodeConnected(request.Id.Span, ClientId, identity.User, ExpiresIn(identity, now)));
        }
        else if (request.HasId)
        {
            connection.SendText(PubSubCodec.EncodeAck(request.Id.Span));
        }
    }

    private static long? ExpiresIn(ClientIdentity? identity, DateTimeOffset now) =>
        identity?.ExpiresAt is { } expires ? Math.Max(0, (long)Math.Ceiling((expires - now).TotalSeconds)) : null;

    /// <summary>
    /// Takes a token from <paramref name="bucket"/>; without one, answers <c>rate_limited</c> and
    /// spends the error budget, which, when exhausted, closes the connection with 1008.
    /// </summary>
    private bool Within(ref TokenBucket bucket, RateLimit limit, ReadOnlyMemory<byte> id, string what, IInlineConnection connection)
    {
        long now = _settings.Clock();
        if (bucket.TryTake(limit, now, out long retryAfter))
        {
            return true;
        }

        RateLimited(id, what, retryAfter, now, connection);
        return false;
    }

    private bool WithinNamespace(NamespaceSettings space, ReadOnlyMemory<byte> id, IInlineConnection connection)
    {
        _namespacePublishes ??= new Dictionary<string, TokenBucket>(StringComparer.Ordinal);
        ref TokenBucket bucket = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_namespacePublishes, space.Name, out _);
        return Within(ref bucket, space.PublishLimit, id, "publishes in namespace " + (space.Name.Length == 0 ? "(default)" : space.Name), connection);
    }

    private void RateLimited(ReadOnlyMemory<byte> id, string what, long retryAfter, long now, IInlineConnection connection)
    {
        _settings.Metrics?.RateLimited.Inc();
        int budget = Math.Max(1, _settings.RateLimits.ErrorBudget);
        if (!_errors.TryTake(new RateLimit(budget / 10.0, budget), now, out _))
        {
            _settings.Metrics?.RateLimitCloses.Inc();
            connection.Close(CloseCode.PolicyViolation, "rate limit");
            return;
        }

        connection.SendText(PubSubCodec.EncodeRateLimited(id.Span, "over the limit of " + what + "; retry after " + retryAfter + " ms", retryAfter));
    }

    /// <summary>
    /// Why the namespace refuses <paramref name="request"/>, or null: <c>since</c> and <c>history</c>
    /// where there is no history, patterns where there are no wildcards, the namespace's permissions,
    /// private topics and user channels. The message names the rule that refused, never another
    /// user's data.
    /// </summary>
    internal static PubSubError? Refusal(in PubSubRequest request, NamespaceSettings space, ClientIdentity? identity) =>
        Invalid(request, space) ?? Forbidden(request, space, identity);

    /// <summary>
    /// Why <paramref name="request"/> makes no sense in <paramref name="space"/>, whoever asks (the
    /// server API too): presence or history where the namespace has none, a malformed pattern, a
    /// pattern where a concrete topic is needed; null when it does.
    /// </summary>
    internal static PubSubError? Invalid(in PubSubRequest request, NamespaceSettings space)
    {
        if (!space.Presence && request.Op is PubSubOp.Presence or PubSubOp.PresenceStats)
        {
            return new PubSubError(PubSubError.BadRequest, "topic " + request.Topic + " has no presence (its namespace's presence is off)", request.Id);
        }

        if (!space.HasHistory && (request.Op == PubSubOp.History || request.Since is not null))
        {
            return new PubSubError(PubSubError.BadRequest, request.Op == PubSubOp.History ? "topic " + request.Topic + " keeps no history" : "since is only allowed on topics with history", request.Id);
        }

        if (space.Wildcards && request.Op != PubSubOp.Unsubscribe && TopicPattern.IsPattern(request.Topic))
        {
            if (TopicPattern.Invalid(request.Topic) is { } invalid)
            {
                return new PubSubError(PubSubError.BadRequest, invalid, request.Id);
            }

            if (request.Op != PubSubOp.Subscribe)
            {
                return new PubSubError(PubSubError.BadRequest, request.Op + " needs a concrete topic, not a pattern", request.Id);
            }

            if (request.Since is not null)
            {
                return new PubSubError(PubSubError.BadRequest, "since is not allowed on a pattern", request.Id);
            }

            if (IsUserChannel(request.Topic))
            {
                return new PubSubError(PubSubError.BadRequest, "a pattern cannot stand for user channels (#): subscribe to your own by name", request.Id);
            }
        }
        else if (space.Wildcards && request.Op == PubSubOp.Subscribe && TopicPattern.Invalid(request.Topic) is { } invalid)
        {
            return new PubSubError(PubSubError.BadRequest, invalid, request.Id);
        }

        return null;
    }

    /// <summary>Whether the namespace's permissions, its private prefix or user channels refuse <paramref name="request"/> to <paramref name="identity"/>; null when they allow it.</summary>
    private static PubSubError? Forbidden(in PubSubRequest request, NamespaceSettings space, ClientIdentity? identity)
    {

        (Permission rule, string key, string what) = request.Op switch
        {
            PubSubOp.Subscribe => (space.AllowSubscribe, "allow-subscribe", "subscribe to"),
            PubSubOp.Publish => (space.AllowPublish, "allow-publish", "publish on"),
            PubSubOp.History => (space.AllowHistory, "allow-history", "read the history of"),
            PubSubOp.Presence or PubSubOp.PresenceStats => (space.AllowPresence, "allow-presence", "read the presence of"),
            _ => (Permission.Anyone, string.Empty, string.Empty),
        };
        if (rule == Permission.Anyone && space.PrivatePrefix.Length == 0 && !IsUserChannel(request.Topic))
        {
            return null; // version 1: the common case, decided at once
        }

        string name = space.Name.Length == 0 ? "the default namespace" : "namespace " + space.Name;
        if (rule == Permission.Nobody)
        {
            return new PubSubError(PubSubError.Forbidden, "nobody may " + what + " topics of " + name + " (" + key + " = nobody)", request.Id);
        }

        bool reads = request.Op is PubSubOp.Subscribe or PubSubOp.History or PubSubOp.Presence or PubSubOp.PresenceStats;
        if (reads && UserOf(request.Topic) is { } owner)
        {
            // A user's own channel, ns:#user: that user's connections only.
            if (identity is null)
            {
                return new PubSubError(PubSubError.Unauthorized, "a user channel (#) needs a connection with a token", request.Id);
            }

            return string.Equals(owner, identity.User, StringComparison.Ordinal)
                ? null
                : new PubSubError(PubSubError.Forbidden, "a user channel (#) is for its user's connections only", request.Id);
        }

        if (reads && space.PrivatePrefix.Length > 0 && (IsPrivate(request.Topic, space.PrivatePrefix) || MayMatchPrivate(request.Topic, space)))
        {
            rule = Permission.Granted; // private topics need a grant whatever the namespace allows
            key = "private-prefix";
        }

        switch (rule)
        {
            case Permission.Anyone:
                return null;
            case Permission.Authenticated:
                return identity is null ? new PubSubError(PubSubError.Unauthorized, "only connections with a token may " + what + " topics of " + name + " (" + key + " = authenticated)", request.Id) : null;
            default:
                if (identity is null)
                {
                    return new PubSubError(PubSubError.Unauthorized, "only a token that grants the topic may " + what + " it (" + name + ": " + key + " = granted)", request.Id);
                }

                IReadOnlyList<string> grants = request.Op == PubSubOp.Publish ? identity.Publish : identity.Channels;
                return ClientIdentity.Grants(grants, request.Topic)
                    ? null
                    : new PubSubError(PubSubError.Forbidden, "the token's " + (request.Op == PubSubOp.Publish ? "publish" : "channels") + " claim does not grant this topic (" + name + ": " + key + " = granted)", request.Id);
        }
    }

    /// <summary>Whether the part of <paramref name="topic"/> after its namespace starts with <c>#</c>.</summary>
    private static bool IsUserChannel(string topic)
    {
        int colon = topic.IndexOf(':', StringComparison.Ordinal);
        return colon >= 0 && colon + 1 < topic.Length && topic[colon + 1] == '#';
    }

    /// <summary>The user of a user channel <c>ns:#user</c>, or null.</summary>
    private static string? UserOf(string topic)
    {
        int colon = topic.IndexOf(':', StringComparison.Ordinal);
        return colon >= 0 && colon + 1 < topic.Length && topic[colon + 1] == '#' ? topic[(colon + 2)..] : null;
    }

    /// <summary>
    /// Whether <paramref name="topic"/> is a pattern that may match a private topic of
    /// <paramref name="space"/>: its literal part before the first wildcard and the private prefix
    /// agree as far as both go (<c>room:&gt;</c> may; <c>room:public.*</c> may not, with prefix <c>$</c>).
    /// </summary>
    private static bool MayMatchPrivate(string topic, NamespaceSettings space)
    {
        if (!space.Wildcards || !TopicPattern.IsPattern(topic))
        {
            return false;
        }

        ReadOnlySpan<char> rest = topic.AsSpan(topic.IndexOf(':', StringComparison.Ordinal) + 1);
        int literal = 0;
        foreach (Range range in rest.Split('.'))
        {
            if (rest[range] is "*" or ">")
            {
                break;
            }

            literal = range.End.Value + 1;
        }

        ReadOnlySpan<char> fixedPart = rest[..Math.Min(literal, rest.Length)];
        return fixedPart.StartsWith(space.PrivatePrefix, StringComparison.Ordinal) || space.PrivatePrefix.AsSpan().StartsWith(fixedPart, StringComparison.Ordinal);
    }

    private static bool IsPrivate(string topic, string prefix)
    {
        int colon = topic.IndexOf(':', StringComparison.Ordinal);
        return topic.AsSpan(colon + 1).StartsWith(prefix, StringComparison.Ordinal);
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
        if (OnServerCommand(message, connection))
        {
            return true;
        }

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

        if (message is PresenceAnswer { Ack: Acked } answer)
        {
            connection.SendText(answer.Frame);
            connection.EndPending();
            return true;
        }

        if (message is UserVerdict verdict)
        {
            OnUserVerdict(verdict, connection);
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
    /// The server API acting for this connection's user: a subscribe or unsubscribe made here as if
    /// the client had asked (without the namespace's permissions: the backend decides), the client
    /// told with a <c>subscribed</c> or <c>unsubscribed</c> frame, the API node with
    /// <see cref="Api.ServerActed"/>. Not counted in the client's window of unanswered requests.
    /// </summary>
    private bool OnServerCommand(object message, IInlineConnection connection)
    {
        switch (message)
        {
            case Api.ServerSubscribe subscribe:
                _subscribed ??= new HashSet<string>(StringComparer.Ordinal);
                if (_subscribed.Contains(subscribe.Topic) || _subscribed.Count >= _settings.MaxTopicsPerConnection)
                {
                    // Subscribed already (nothing changes), or at the connection's limit (refused).
                    subscribe.ReplyTo.Tell(new Api.ServerActed(subscribe.Correlation, _subscribed.Contains(subscribe.Topic)), connection.Self);
                    return true;
                }

                _subscribed.Add(subscribe.Topic);
                NamespaceSettings space = _settings.Namespaces.For(subscribe.Topic);
                connection.Topics.Tell(
                    new Topic.Subscribe(subscribe.Topic, connection.Self, new ServerAck(subscribe.Topic, subscribe.ReplyTo, subscribe.Correlation, Subscribe: true), AcceptsBatches: true, Format: TopicFormat(connection), Origin: Origin)
                    {
                        Presence = space.Presence && !TopicPattern.IsPattern(subscribe.Topic) ? new PresenceEntry(ClientId, _identity?.User ?? string.Empty, _identity?.InfoJson ?? default) : null,
                    },
                    connection.Self);
                return true;
            case Api.ServerUnsubscribe unsubscribe:
                if (_subscribed?.Remove(unsubscribe.Topic) != true)
                {
                    unsubscribe.ReplyTo.Tell(new Api.ServerActed(unsubscribe.Correlation, false), connection.Self); // not subscribed here
                    return true;
                }

                connection.Topics.Tell(new Topic.Unsubscribe(unsubscribe.Topic, connection.Self, new ServerAck(unsubscribe.Topic, unsubscribe.ReplyTo, unsubscribe.Correlation, Subscribe: false)), connection.Self);
                return true;
            case ServerAck done:
                connection.SendText(PubSubCodec.EncodeServerSubscription(done.Subscribe, done.Topic, null));
                done.ReplyTo.Tell(new Api.ServerActed(done.Correlation, true), connection.Self);
                return true;
            case Topic.Subscribed { Ack: ServerAck done } positioned:
                connection.SendText(PubSubCodec.EncodeServerSubscription(true, done.Topic, positioned.Position));
                done.ReplyTo.Tell(new Api.ServerActed(done.Correlation, true), connection.Self);
                return true;
            case TopicRefused { Ack: ServerAck refused }:
                if (refused.Subscribe)
                {
                    _subscribed?.Remove(refused.Topic);
                }

                refused.ReplyTo.Tell(new Api.ServerActed(refused.Correlation, false), connection.Self);
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// A history answer cut to <paramref name="maxBytes"/> of data: without <c>since</c> the newest
    /// messages that fit, with it the oldest after it (the client asks again from the last one).
    /// </summary>
    internal static byte[] EncodeHistory(Topic.HistoryRead read, bool since, int maxBytes, byte[]? id)
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

    /// <summary>The acknowledgement of a subscribe or unsubscribe the server API asked for.</summary>
    private sealed record ServerAck(string Topic, Akka.Actor.IActorRef ReplyTo, long Correlation, bool Subscribe);
}
