using System.Buffers;
using System.Text.Json;
using ActorSocket.Actors.Handlers;
using ActorSocket.Actors.Topics;
using ActorSocket.Protocol.PubSub;
using Akka.Actor;

namespace ActorSocket.Actors.Api;

/// <summary>An answer of the server API: the HTTP status and the JSON body (<c>{"result":…}</c> or <c>{"error":…}</c>).</summary>
/// <param name="Status">200, a 4xx, or 503 for <c>unavailable</c>.</param>
/// <param name="Body">The JSON body.</param>
internal sealed record ApiAnswer(int Status, byte[] Body)
{
    /// <summary>An error answer: <c>{"error":{"code","message"}}</c>.</summary>
    public static ApiAnswer Error(int status, string code, string message) =>
        new(status, Write(json =>
        {
            json.WriteStartObject("error");
            json.WriteString("code", code);
            json.WriteString("message", message);
            json.WriteEndObject();
        }));

    /// <summary>A <c>400 bad_request</c>.</summary>
    public static ApiAnswer BadRequest(string message) => Error(400, PubSubError.BadRequest, message);

    /// <summary>A <c>200</c> answer: <c>{"result":{…}}</c>, the inside written by <paramref name="result"/>.</summary>
    public static ApiAnswer Ok(Action<Utf8JsonWriter> result) =>
        new(200, Write(json =>
        {
            json.WriteStartObject("result");
            result(json);
            json.WriteEndObject();
        }));

    /// <summary>The answer for a topic's refusal: 503 for <c>unavailable</c>, 400 otherwise.</summary>
    public static ApiAnswer Of(PubSubError error) => Error(error.Code == PubSubError.Unavailable ? 503 : error.Code == PubSubError.TooLarge ? 413 : 400, error.Code, error.Message);

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            body(json);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}

/// <summary>
/// The server API's work, behind its HTTP endpoints: publishes, history and presence go through the
/// topic backend exactly as a <c>/pubsub</c> client's do (the same validation, the same topic
/// actors, the same order); user commands, channel listings and figures go to the API node of
/// every cluster member (<see cref="ApiNode"/>) and are gathered here.
/// </summary>
/// <remarks>Thread-safe: every call is independent; answers come from actors through asks.</remarks>
internal sealed class ServerApi
{
    /// <summary>The most topics of one broadcast.</summary>
    public const int MaxBroadcastTopics = 1000;

    /// <summary>The most topics one node lists in a channels answer.</summary>
    public const int MaxChannelsPerNode = 10_000;

    private readonly ActorSystem _system;
    private readonly IActorRef _topics;
    private readonly IActorRef _node;
    private readonly PubSubSettings _settings;
    private readonly bool _cluster;
    private readonly TimeSpan _timeout;

    /// <summary>Creates the API of a node.</summary>
    /// <param name="system">The node's actor system.</param>
    /// <param name="topics">The topic backend.</param>
    /// <param name="node">This node's <see cref="ApiNode"/>.</param>
    /// <param name="settings">The <c>/pubsub</c> settings: namespaces and limits apply to the API alike.</param>
    /// <param name="cluster">Whether the node is a cluster member (user commands and listings then ask every member).</param>
    /// <param name="timeout">The longest a request waits for the topics or the nodes.</param>
    public ServerApi(ActorSystem system, IActorRef topics, IActorRef node, PubSubSettings settings, bool cluster, TimeSpan timeout)
    {
        _system = system;
        _topics = topics;
        _node = node;
        _settings = settings;
        _cluster = cluster;
        _timeout = timeout;
    }

    /// <summary>Publishes <paramref name="data"/> (a JSON value) on <paramref name="topic"/>; answers once the topic took it, with its position on a topic with history.</summary>
    public async Task<ApiAnswer> PublishAsync(string topic, ReadOnlyMemory<byte> data)
    {
        if (Check(PubSubOp.Publish, topic, data) is { } invalid)
        {
            return invalid;
        }

        (PubSubPosition? position, PubSubError? error) = await PublishOneAsync(topic, data).ConfigureAwait(false);
        return error is { } refused
            ? ApiAnswer.Of(refused)
            : ApiAnswer.Ok(json =>
            {
                if (position is { } at)
                {
                    json.WriteString("epoch", at.Epoch);
                    json.WriteNumber("offset", at.Offset);
                }
            });
    }

    /// <summary>Publishes <paramref name="data"/> on each of <paramref name="topics"/>; one answer per topic, in order.</summary>
    public async Task<ApiAnswer> BroadcastAsync(IReadOnlyList<string> topics, ReadOnlyMemory<byte> data)
    {
        if (topics.Count == 0 || topics.Count > MaxBroadcastTopics)
        {
            return ApiAnswer.BadRequest("topics must list 1 to " + MaxBroadcastTopics + " topics");
        }

        foreach (string topic in topics)
        {
            if (Check(PubSubOp.Publish, topic, data) is { } invalid)
            {
                return invalid;
            }
        }

        var results = await Task.WhenAll(topics.Select(topic => PublishOneAsync(topic, data))).ConfigureAwait(false);
        return ApiAnswer.Ok(json =>
        {
            json.WriteStartArray("responses");
            foreach ((PubSubPosition? position, PubSubError? error) in results)
            {
                json.WriteStartObject();
                if (error is { } refused)
                {
                    json.WriteStartObject("error");
                    json.WriteString("code", refused.Code);
                    json.WriteString("message", refused.Message);
                    json.WriteEndObject();
                }
                else
                {
                    json.WriteStartObject("result");
                    if (position is { } at)
                    {
                        json.WriteString("epoch", at.Epoch);
                        json.WriteNumber("offset", at.Offset);
                    }

                    json.WriteEndObject();
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
        });
    }

    /// <summary>Subscribes, unsubscribes or disconnects every connection of <paramref name="user"/> on every node.</summary>
    public async Task<ApiAnswer> UserAsync(UserAction action, string user, string topic, string reason)
    {
        if (string.IsNullOrEmpty(user) || user.Length > 256)
        {
            return ApiAnswer.BadRequest("user must be a non-empty string of at most 256 characters");
        }

        if (action != UserAction.Disconnect && Check(action == UserAction.Subscribe ? PubSubOp.Subscribe : PubSubOp.Unsubscribe, topic, default) is { } invalid)
        {
            return invalid;
        }

        if (System.Text.Encoding.UTF8.GetByteCount(reason) > 120)
        {
            return ApiAnswer.BadRequest("reason must be at most 120 bytes (a close frame's reason)");
        }

        (List<UserActed> answers, List<string> unanswered) = await AskEveryNodeAsync<UserActed>(new UserCommand(action, user, topic, reason)).ConfigureAwait(false);
        int connections = answers.Sum(answer => answer.Connections);
        if (unanswered.Count > 0)
        {
            return ApiAnswer.Error(503, PubSubError.Unavailable, "no answer from " + string.Join(", ", unanswered) + " within " + _timeout.TotalSeconds + " s; done on " + connections + " connection(s) of the nodes that answered");
        }

        return ApiAnswer.Ok(json =>
        {
            json.WriteNumber("connections", connections);
            json.WriteNumber("nodes", answers.Count);
        });
    }

    /// <summary>Reads a topic's history, as the <c>history</c> request does.</summary>
    public async Task<ApiAnswer> HistoryAsync(string topic, int limit, PubSubPosition? since)
    {
        if (Check(PubSubOp.History, topic, default, since) is { } invalid)
        {
            return invalid;
        }

        object answer = await AskTopicsAsync(new Topic.History(topic, limit, since, Guid.NewGuid())).ConfigureAwait(false);
        return answer switch
        {
            Topic.HistoryRead read => Unwrap(InlinePubSubHandler.EncodeHistory(read, since is not null, _settings.MaxHistoryReplyBytes, null)),
            TopicRefused refused => ApiAnswer.Of(new PubSubError(refused.Code, refused.Message, default)),
            _ => NoAnswer("the history of " + topic),
        };
    }

    /// <summary>The presence of a topic (or only its counts), as the <c>presence</c> and <c>presence-stats</c> requests.</summary>
    public async Task<ApiAnswer> PresenceAsync(string topic, bool stats)
    {
        if (Check(stats ? PubSubOp.PresenceStats : PubSubOp.Presence, topic, default) is { } invalid)
        {
            return invalid;
        }

        object answer = await AskTopicsAsync(new PresenceQuery(topic, stats, null, Guid.NewGuid())).ConfigureAwait(false);
        return answer switch
        {
            PresenceAnswer presence => Unwrap(presence.Frame),
            TopicRefused refused => ApiAnswer.Of(new PubSubError(refused.Code, refused.Message, default)),
            _ => NoAnswer("the presence of " + topic),
        };
    }

    /// <summary>The topics with subscribers on every node, with their counts summed.</summary>
    public async Task<ApiAnswer> ChannelsAsync()
    {
        (List<ChannelsAnswer> answers, List<string> unanswered) = await AskEveryNodeAsync<ChannelsAnswer>(new ChannelsQuery(MaxChannelsPerNode)).ConfigureAwait(false);
        var totals = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (ChannelsAnswer answer in answers)
        {
            foreach (ChannelCount channel in answer.Channels)
            {
                totals[channel.Topic] = totals.GetValueOrDefault(channel.Topic) + channel.Subscribers;
            }
        }

        return ApiAnswer.Ok(json =>
        {
            json.WriteStartArray("channels");
            foreach ((string topic, int subscribers) in totals)
            {
                json.WriteStartObject();
                json.WriteString("topic", topic);
                json.WriteNumber("subscribers", subscribers);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteBoolean("truncated", answers.Any(answer => answer.Truncated));
            WriteUnanswered(json, unanswered);
        });
    }

    /// <summary>The nodes, their connections and topics, and the version.</summary>
    public async Task<ApiAnswer> InfoAsync(string version)
    {
        (List<InfoAnswer> answers, List<string> unanswered) = await AskEveryNodeAsync<InfoAnswer>(InfoQuery.Instance).ConfigureAwait(false);
        return ApiAnswer.Ok(json =>
        {
            json.WriteString("version", version);
            json.WriteStartArray("nodes");
            foreach (InfoAnswer node in answers.OrderBy(answer => answer.Node, StringComparer.Ordinal))
            {
                json.WriteStartObject();
                json.WriteString("node", node.Node);
                json.WriteString("version", node.Version);
                json.WriteNumber("connections", node.Connections);
                json.WriteNumber("topics", node.Topics);
                json.WriteNumber("uptime", node.UptimeSeconds);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteNumber("connections", answers.Sum(answer => answer.Connections));
            WriteUnanswered(json, unanswered);
        });
    }

    private static void WriteUnanswered(Utf8JsonWriter json, List<string> unanswered)
    {
        if (unanswered.Count > 0)
        {
            json.WriteStartArray("unanswered");
            unanswered.ForEach(json.WriteStringValue);
            json.WriteEndArray();
        }
    }

    /// <summary>The checks of a <c>/pubsub</c> request of the same kind, permissions aside (the backend is trusted).</summary>
    private ApiAnswer? Check(PubSubOp op, string topic, ReadOnlyMemory<byte> data, PubSubPosition? since = null)
    {
        if (string.IsNullOrEmpty(topic))
        {
            return ApiAnswer.BadRequest("topic must be a non-empty string");
        }

        if (System.Text.Encoding.UTF8.GetByteCount(topic) > _settings.Limits.MaxTopicBytes)
        {
            return ApiAnswer.BadRequest("topic longer than " + _settings.Limits.MaxTopicBytes + " bytes");
        }

        if (data.Length > _settings.Limits.MaxPublishBytes)
        {
            return ApiAnswer.Error(413, PubSubError.TooLarge, "data larger than " + _settings.Limits.MaxPublishBytes + " bytes");
        }

        var request = new PubSubRequest(op, topic, data, default) { Since = since };
        return InlinePubSubHandler.Invalid(request, _settings.Namespaces.For(topic)) is { } invalid ? ApiAnswer.Of(invalid) : null;
    }

    private async Task<(PubSubPosition? Position, PubSubError? Error)> PublishOneAsync(string topic, ReadOnlyMemory<byte> data)
    {
        object ack = Guid.NewGuid();
        object answer = await AskTopicsAsync(new Topic.Publish(TopicMessage.Create(topic, data.Span), ack) { WantsPosition = true }).ConfigureAwait(false);
        return answer switch
        {
            Topic.Published published => (published.Position, null),
            TopicRefused refused => (null, new PubSubError(refused.Code, refused.Message, default)),
            Guid => (null, null),
            _ => (null, new PubSubError(PubSubError.Unavailable, "the topic did not confirm the publish within " + _timeout.TotalSeconds + " s; it may or may not have been delivered", default)),
        };
    }

    private async Task<object> AskTopicsAsync(object request)
    {
        try
        {
            return await _topics.Ask<object>(request, _timeout).ConfigureAwait(false);
        }
        catch (AskTimeoutException)
        {
            return AskTimedOut.Instance;
        }
    }

    private ApiAnswer NoAnswer(string what) =>
        ApiAnswer.Error(503, PubSubError.Unavailable, "no answer for " + what + " within " + _timeout.TotalSeconds + " s; retry");

    /// <summary>Asks the API node of every member that is up (or this node's alone), gathering the answers and the nodes that gave none in time.</summary>
    private async Task<(List<T> Answers, List<string> Unanswered)> AskEveryNodeAsync<T>(object request)
    {
        var asks = new List<(string Node, Task<T> Answer)>();
        if (_cluster)
        {
            foreach (Akka.Cluster.Member member in Akka.Cluster.Cluster.Get(_system).State.Members)
            {
                if (member.Status is Akka.Cluster.MemberStatus.Up or Akka.Cluster.MemberStatus.WeaklyUp)
                {
                    ActorSelection node = _system.ActorSelection(new RootActorPath(member.Address) / "user" / ApiNode.Name);
                    asks.Add((member.Address.ToString(), node.Ask<T>(request, _timeout)));
                }
            }
        }
        else
        {
            asks.Add((ApiNode.NodeName(_system), _node.Ask<T>(request, _timeout)));
        }

        var answers = new List<T>();
        var unanswered = new List<string>();
        foreach ((string node, Task<T> answer) in asks)
        {
            try
            {
                answers.Add(await answer.ConfigureAwait(false));
            }
            catch (AskTimeoutException)
            {
                unanswered.Add(node);
            }
        }

        return (answers, unanswered);
    }

    /// <summary>A <c>/pubsub</c> answer frame as an API result: its fields but <c>op</c> and <c>id</c>.</summary>
    private static ApiAnswer Unwrap(ReadOnlyMemory<byte> frame)
    {
        using JsonDocument document = JsonDocument.Parse(frame);
        return ApiAnswer.Ok(json =>
        {
            foreach (JsonProperty property in document.RootElement.EnumerateObject())
            {
                if (property.Name is not ("op" or "id"))
                {
                    property.WriteTo(json);
                }
            }
        });
    }

    private sealed class AskTimedOut
    {
        public static readonly AskTimedOut Instance = new();
    }
}
