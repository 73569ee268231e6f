using ActorSocket.Actors.Metrics;
using ActorSocket.Actors.Topics;
using ActorSocket.Protocol.PubSub;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using CsCheck;

namespace ActorSocket.Actors.Tests.Topics;

/// <summary>
/// For random interleavings of publishes, disconnects and reconnects with recovery: every client
/// receives, in each session, every offset from where the session starts exactly once and in order
/// (from its <c>since</c> when it recovered, from the acknowledged offset when it did not).
/// </summary>
public sealed class RecoveryPropertyTests : TestKit
{
    private const int Clients = 4;
    private static readonly NamespaceTable Namespaces = new(new NamespaceSettings(), [new NamespaceSettings { Name = "room", HistorySize = 3 }]);
    private readonly ServerMetrics _metrics = new();
    private int _round;

    private enum Step
    {
        Publish,
        Disconnect,
        Connect,
    }

    [Fact]
    public void Every_client_that_recovered_received_every_offset_exactly_once_in_order()
    {
        // Publishes twice as often as the rest: a client away long enough misses more than the history keeps.
        var step = Gen.Frequency((2, Gen.Const(Step.Publish)), (1, Gen.Const(Step.Disconnect)), (1, Gen.Const(Step.Connect)));
        // A step may wait until it took effect, or race with the ones after it.
        var steps = Gen.Select(step, Gen.Int[0, Clients - 1], Gen.Bool).Array[1, 60];
        steps.Sample(RunRound, iter: 60, threads: 1);

        // Both outcomes were exercised: recoveries that replayed, and refusals (more missed than the history keeps).
        Assert.True(_metrics.Recoveries.WithLabels("recovered").Value > 0);
        Assert.True(_metrics.Recoveries.WithLabels("not_recovered").Value > 0, "recovered " + _metrics.Recoveries.WithLabels("recovered").Value + ", not " + _metrics.Recoveries.WithLabels("not_recovered").Value);
    }

    private void RunRound((Step Step, int Client, bool Wait)[] steps)
    {
        string topic = "room:p" + ++_round;
        IActorRef registry = Sys.ActorOf(TopicRegistry.Props(new TopicSettings { Namespaces = Namespaces }, _metrics));
        IActorRef[] clients = [.. Enumerable.Range(0, Clients).Select(_ => Sys.ActorOf(Props.Create(() => new Client(registry, topic))))];
        int published = 0;
        foreach (IActorRef client in clients)
        {
            client.Tell(Client.Connect.Instance);
        }

        foreach ((Step step, int index, bool wait) in steps)
        {
            switch (step)
            {
                case Step.Publish:
                    registry.Tell(new Topic.Publish(TopicMessage.Create(topic, System.Text.Encoding.UTF8.GetBytes((++published).ToString(System.Globalization.CultureInfo.InvariantCulture)))));
                    break;
                case Step.Disconnect:
                    clients[index].Tell(Client.Disconnect.Instance);
                    break;
                default:
                    clients[index].Tell(Client.Connect.Instance);
                    break;
            }

            if (wait && step != Step.Publish)
            {
                Assert.True(clients[index].Ask<bool>(step == Step.Connect ? Client.WhenConnected.Instance : Client.WhenDisconnected.Instance, TimeSpan.FromSeconds(10)).Result);
            }
        }

        // Everyone back, then one last message that every client must reach.
        foreach (IActorRef client in clients)
        {
            client.Tell(Client.Connect.Instance);
            Assert.True(client.Ask<bool>(Client.WhenConnected.Instance, TimeSpan.FromSeconds(10)).Result);
        }

        registry.Ask<string>(new Topic.Publish(TopicMessage.Create(topic, "0"u8), "last"), TimeSpan.FromSeconds(10)).Wait();
        long final = published + 1;
        foreach (IActorRef client in clients)
        {
            Client.Report report = client.Ask<Client.Report>(new Client.ReportAt(final), TimeSpan.FromSeconds(10)).Result;
            Assert.True(report.Violations.Count == 0, string.Join("; ", report.Violations));
        }

        foreach (IActorRef client in clients)
        {
            Sys.Stop(client);
        }

        Sys.Stop(registry);
    }

    /// <summary>A client as a reconnecting application behaves: it remembers its position and recovers from it.</summary>
    private sealed class Client : ReceiveActor, IWithStash
    {
        private readonly IActorRef _registry;
        private readonly string _topic;
        private readonly List<string> _violations = [];
        private string? _epoch;
        private long _next;
        private PubSubPosition? _since;

        public Client(IActorRef registry, string topic)
        {
            _registry = registry;
            _topic = topic;
            Become(Disconnected);
        }

        public IStash Stash { get; set; } = null!;

        public sealed class Connect
        {
            public static readonly Connect Instance = new();
        }

        public sealed class Disconnect
        {
            public static readonly Disconnect Instance = new();
        }

        public sealed class WhenConnected
        {
            public static readonly WhenConnected Instance = new();
        }

        public sealed class WhenDisconnected
        {
            public static readonly WhenDisconnected Instance = new();
        }

        public sealed record ReportAt(long Offset);

        public sealed record Report(IReadOnlyList<string> Violations);

        private void Disconnected()
        {
            Receive<Connect>(_ =>
            {
                _since = _epoch is null ? null : new PubSubPosition(_epoch, _next - 1);
                _registry.Tell(new Topic.Subscribe(_topic, Self, "ok", Since: _since));
                Become(Connecting);
            });
            Receive<Disconnect>(_ => { });
            Receive<WhenDisconnected>(_ => Sender.Tell(true));
            Receive<TopicMessage>(message => _violations.Add("offset " + message.Offset + " while not subscribed"));
            ReceiveAny(_ => Stash.Stash());
        }

        private void Connecting()
        {
            Receive<Topic.Subscribed>(subscribed =>
            {
                _next = subscribed.Recovered == true ? _since!.Value.Offset + 1 : subscribed.Position.Offset + 1;
                _epoch = subscribed.Position.Epoch;
                Stash.UnstashAll();
                Become(Connected);
            });
            Receive<TopicMessage>(message => _violations.Add("offset " + message.Offset + " before the acknowledgement"));
            ReceiveAny(_ => Stash.Stash());
        }

        private void Connected()
        {
            Receive<TopicMessage>(Take);
            Receive<Connect>(_ => { });
            Receive<WhenConnected>(_ => Sender.Tell(true));
            Receive<Disconnect>(_ =>
            {
                _registry.Tell(new Topic.Unsubscribe(_topic, Self, "gone"));
                Become(Disconnecting);
            });
            Receive<ReportAt>(report =>
            {
                if (_next > report.Offset)
                {
                    Sender.Tell(new Report(_violations));
                }
                else
                {
                    Stash.Stash(); // the last message is still on its way
                }
            });
        }

        private void Disconnecting()
        {
            Receive<TopicMessage>(Take); // published before the unsubscribe took effect
            Receive<string>(_ =>
            {
                Stash.UnstashAll();
                Become(Disconnected);
            });
            ReceiveAny(_ => Stash.Stash());
        }

        private void Take(TopicMessage message)
        {
            if (message.Offset != _next)
            {
                _violations.Add("expected offset " + _next + ", got " + message.Offset);
            }

            _next = message.Offset + 1;
            if (_next > 0)
            {
                Stash.UnstashAll(); // a report may wait for this one
            }
        }
    }
}
