using ActorSocket.Actors.Metrics;
using Akka.Actor;

namespace ActorSocket.Actors.Api;

/// <summary>
/// This node's part of the server API (one per node, at <c>/user/actorsocket-api</c>): acts on the
/// connections of a user here, lists this node's topics with subscribers, and gives its figures.
/// The API of any node asks the API node of every member (<see cref="ServerApi"/>).
/// </summary>
/// <remarks>
/// Each request is worked out by a child of its own that answers once and stops: a user command
/// waits for the connections' confirmations, a channel listing for the topics' counts, each for at
/// most <see cref="GatherTimeout"/>, so a stopped connection or topic costs a request time, never
/// a leak.
/// </remarks>
internal sealed class ApiNode : UntypedActor
{
    /// <summary>The actor's name under <c>/user</c>.</summary>
    public const string Name = "actorsocket-api";

    /// <summary>The longest a node waits for its connections or topics before answering with what it has.</summary>
    public static readonly TimeSpan GatherTimeout = TimeSpan.FromSeconds(3);

    private readonly UserDirectory _users;
    private readonly IActorRef _topics;
    private readonly ServerMetrics _metrics;
    private readonly string _version;
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;
    private string _node = string.Empty;

    public ApiNode(UserDirectory users, IActorRef topics, ServerMetrics metrics, string version)
    {
        _users = users;
        _topics = topics;
        _metrics = metrics;
        _version = version;
    }

    /// <summary>The API node's props.</summary>
    public static Props Props(UserDirectory users, IActorRef topics, ServerMetrics metrics, string version) =>
        Akka.Actor.Props.Create(() => new ApiNode(users, topics, metrics, version));

    /// <summary>This node's name in API answers: its cluster address, or <c>local</c>.</summary>
    internal static string NodeName(ActorSystem system) =>
        system is ExtendedActorSystem extended && extended.Provider.DefaultAddress is { HasGlobalScope: true } address ? address.ToString() : "local";

    /// <inheritdoc />
    protected override void PreStart() => _node = NodeName(Context.System);

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case UserCommand { Action: UserAction.Disconnect } disconnect:
                IActorRef[] closing = _users.Connections(disconnect.User);
                foreach (IActorRef connection in closing)
                {
                    connection.Tell(new ServerDisconnect(disconnect.Reason));
                }

                Sender.Tell(new UserActed(_node, closing.Length));
                break;
            case UserCommand command:
                IActorRef[] connections = _users.Connections(command.User);
                if (connections.Length == 0)
                {
                    Sender.Tell(new UserActed(_node, 0));
                    break;
                }

                Context.ActorOf(Akka.Actor.Props.Create(() => new UserGatherer(command, connections, Sender, _node)));
                break;
            case ChannelsQuery query:
                Context.ActorOf(Akka.Actor.Props.Create(() => new ChannelsGatherer(query.Max, _topics, Sender, _node)));
                break;
            case InfoQuery:
                IActorRef asker = Sender;
                string node = _node;
                long connectionsOpen = (long)_metrics.OpenConnections.Value;
                long uptime = (long)(DateTimeOffset.UtcNow - _started).TotalSeconds;
                string version = _version;
                _topics.Ask<int>(Topics.TopicRegistry.CountTopics.Instance, GatherTimeout).ContinueWith(
                    count => asker.Tell(new InfoAnswer(node, connectionsOpen, count.IsCompletedSuccessfully ? count.Result : -1, uptime, version)),
                    TaskScheduler.Default);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>Sends a user command to each connection and answers once all confirmed, or at the timeout.</summary>
    private sealed class UserGatherer : UntypedActor
    {
        private readonly IActorRef _asker;
        private readonly string _node;
        private readonly HashSet<long> _waiting = [];
        private int _done;

        public UserGatherer(UserCommand command, IActorRef[] connections, IActorRef asker, string node)
        {
            _asker = asker;
            _node = node;
            for (int i = 0; i < connections.Length; i++)
            {
                _waiting.Add(i);
                connections[i].Tell(command.Action == UserAction.Subscribe
                    ? new ServerSubscribe(command.Topic, Self, i)
                    : new ServerUnsubscribe(command.Topic, Self, i));
            }

            Context.SetReceiveTimeout(GatherTimeout);
        }

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case ServerActed acted when _waiting.Remove(acted.Correlation):
                    _done += acted.Done ? 1 : 0;
                    if (_waiting.Count == 0)
                    {
                        Answer();
                    }

                    break;
                case ReceiveTimeout:
                    Answer(); // connections that ended meanwhile never answer
                    break;
            }
        }

        private void Answer()
        {
            _asker.Tell(new UserActed(_node, _done));
            Context.Stop(Self);
        }
    }

    /// <summary>Lists the node's topic actors, asks each for its subscribers, and answers with those that have some.</summary>
    private sealed class ChannelsGatherer : UntypedActor
    {
        private readonly int _max;
        private readonly IActorRef _asker;
        private readonly string _node;
        private readonly List<ChannelCount> _channels = [];
        private int _waiting = -1;

        public ChannelsGatherer(int max, IActorRef topics, IActorRef asker, string node)
        {
            _max = max;
            _asker = asker;
            _node = node;
            topics.Tell(ListTopics.Instance);
            Context.SetReceiveTimeout(GatherTimeout);
        }

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case TopicList list:
                    _waiting = list.Topics.Count;
                    foreach (KeyValuePair<string, IActorRef> topic in list.Topics)
                    {
                        topic.Value.Tell(new CountSubscribers(0));
                    }

                    if (_waiting == 0)
                    {
                        Answer();
                    }

                    break;
                case SubscriberCount count:
                    if (count.Subscribers > 0)
                    {
                        _channels.Add(new ChannelCount(count.Topic, count.Subscribers));
                    }

                    if (--_waiting == 0)
                    {
                        Answer();
                    }

                    break;
                case ReceiveTimeout:
                    Answer(); // topics that stopped meanwhile never answer
                    break;
            }
        }

        private void Answer()
        {
            // The busiest first, then by name: a truncated list keeps what matters most.
            _channels.Sort((a, b) => a.Subscribers != b.Subscribers ? b.Subscribers.CompareTo(a.Subscribers) : string.CompareOrdinal(a.Topic, b.Topic));
            bool truncated = _channels.Count > _max;
            _asker.Tell(new ChannelsAnswer(_node, truncated ? _channels.GetRange(0, _max) : _channels, truncated));
            Context.Stop(Self);
        }
    }
}
