using ActorSocket.Actors.Cluster;
using ActorSocket.Actors.Metrics;
using ActorSocket.Actors.Topics;
using ActorSocket.Protocol.PubSub;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Configuration;

namespace ActorSocket.Actors.Tests.Topics;

/// <summary>
/// The history contract on a three-node cluster in one process: the tests subscribe on node A and
/// publish on node B; each topic's owner is a sharding entity on whichever node sharding chose.
/// Plus what only a cluster has: one order from publishers on two nodes at subscribers on three,
/// and a topic whose owner's node dies.
/// </summary>
public sealed class ClusterTopicHistoryTests : TopicHistoryContract
{
    // Quick downing: a test kills the node of a topic's owner.
    private static readonly string NodeConfig = """
        akka.cluster.split-brain-resolver.stable-after = 2s
        akka.cluster.failure-detector.acceptable-heartbeat-pause = 2s
        """ + ClusterTopicBackendTests.NodeConfig + TopicOwner.ClusterShardingDefaults;

    private static readonly TopicSettings Settings = new() { Namespaces = Namespaces };
    private readonly ActorSystem _nodeB;
    private readonly ActorSystem _nodeC;
    private readonly Dictionary<ActorSystem, ServerMetrics> _metrics = [];
    private readonly Dictionary<ActorSystem, IActorRef> _registries = [];

    public ClusterTopicHistoryTests()
        : base(NodeConfig)
    {
        _nodeB = ActorSystem.Create(Sys.Name, ConfigurationFactory.ParseString(NodeConfig));
        _nodeC = ActorSystem.Create(Sys.Name, ConfigurationFactory.ParseString(NodeConfig));
        var a = Akka.Cluster.Cluster.Get(Sys);
        a.Join(a.SelfAddress);
        Akka.Cluster.Cluster.Get(_nodeB).Join(a.SelfAddress);
        Akka.Cluster.Cluster.Get(_nodeC).Join(a.SelfAddress);
        AwaitCondition(
            () => Nodes.All(node => Akka.Cluster.Cluster.Get(node).State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up) == 3),
            TimeSpan.FromSeconds(30));
        foreach (ActorSystem node in Nodes)
        {
            var metrics = new ServerMetrics();
            var budget = new HistoryBudget(Settings.HistoryMaxBytes, metrics);
            IActorRef owners = TopicOwner.StartRegion(node, Namespaces, budget, metrics, Settings.IdleTimeout);
            _metrics[node] = metrics;
            _registries[node] = node.ActorOf(TopicRegistry.Props(Settings, metrics, new ClusterBridge(node, new ClusterTopicSettings(), metrics, owners), budget), "topics");
        }
    }

    private IEnumerable<ActorSystem> Nodes => [Sys, _nodeB, _nodeC];

    protected override IActorRef CreateBackend() => _registries[Sys];

    protected override IActorRef PublishVia(IActorRef backend) => _registries[_nodeB];

    protected override void AfterAll()
    {
        foreach (ActorSystem node in new[] { _nodeB, _nodeC })
        {
            node.Terminate().Wait(TimeSpan.FromSeconds(10));
        }

        base.AfterAll();
    }

    [Fact]
    public void Publishers_on_two_nodes_and_subscribers_on_three_see_one_order()
    {
        var subscribers = Nodes.SelectMany(node => Enumerable.Range(0, 2).Select(_ => (Node: node, Probe: CreateTestProbe(node)))).ToList();
        foreach ((ActorSystem node, var probe) in subscribers)
        {
            Subscribe(_registries[node], "room:three", probe);
        }

        Parallel.For(0, 2, p =>
        {
            IActorRef via = _registries[p == 0 ? Sys : _nodeB];
            for (int n = 0; n < 300; n++)
            {
                via.Tell(new Topic.Publish(Message("room:three", (p * 1000) + n)));
            }
        });
        var orders = subscribers.Select(subscriber => Enumerable.Range(0, 600).Select(_ => subscriber.Probe.ExpectMsg<TopicMessage>(TimeSpan.FromSeconds(20))).ToList()).ToList();
        Assert.Equal(Enumerable.Range(1, 600).Select(n => (long)n), orders[0].Select(message => message.Offset));
        Assert.All(orders, order => Assert.Equal(orders[0].Select(ValueOf), order.Select(ValueOf)));
        Assert.Equal(Enumerable.Range(0, 300), orders[0].Select(ValueOf).Where(v => v < 1000));
    }

    [Fact]
    public void Past_its_time_to_live_a_message_is_not_recovered_on_any_node()
    {
        // The owner's clock decides; a subscriber on this node keeps the stream (and its epoch) alive.
        string epoch = Subscribe(_registries[Sys], "brief:x", CreateTestProbe()).Position.Epoch;
        Publish(_registries[_nodeB], "brief:x", 1, 2);
        foreach (ActorSystem node in Nodes)
        {
            AwaitAssert(
                () =>
                {
                    var late = CreateTestProbe(node);
                    Topic.Subscribed answer = Subscribe(_registries[node], "brief:x", late, new PubSubPosition(epoch, 0));
                    Assert.False(answer.Recovered);
                    Assert.Equal(new PubSubPosition(epoch, 2), answer.Position); // the same stream, its messages expired
                    late.ExpectNoMsg(TimeSpan.FromMilliseconds(50));
                },
                TimeSpan.FromSeconds(20),
                TimeSpan.FromMilliseconds(250));
        }

        Assert.Empty(History(_registries[_nodeC], "brief:x").Messages);
    }

    [Fact]
    public void A_subscribe_undone_before_its_answer_came_is_still_acknowledged_and_subscribes_nobody()
    {
        // A connection counts every request until it is answered: a subscribe with since that is
        // undone while its answer is on its way from the owner must still be answered.
        string epoch = History(_registries[Sys], "room:undo", limit: 0).Position.Epoch;
        Publish(_registries[Sys], "room:undo", 1, 3);
        var probe = CreateTestProbe();
        _registries[Sys].Tell(new Topic.Subscribe("room:undo", probe, "ok", Since: new PubSubPosition(epoch, 0)));
        _registries[Sys].Tell(new Topic.Unsubscribe("room:undo", probe, "gone"));
        object[] answers = [ExpectMsg<object>(), ExpectMsg<object>()];
        Assert.Contains(answers, answer => answer is Topic.Subscribed { Ack: "ok" });
        Assert.Contains(answers, answer => answer as string == "gone");
        probe.ReceiveWhile(TimeSpan.FromMilliseconds(300), message => message); // a replay, if the answer came first
        Publish(_registries[_nodeB], "room:undo", 4, 1);
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void Requests_an_owner_never_answers_are_answered_unavailable_after_the_owner_timeout()
    {
        // Owners that swallow everything (a node dying with the messages in flight, forever).
        var blackHole = CreateTestProbe();
        var metrics = new ServerMetrics();
        var bridge = new ClusterBridge(Sys, new ClusterTopicSettings { OwnerTimeout = TimeSpan.FromSeconds(1) }, metrics, blackHole);
        IActorRef registry = Sys.ActorOf(TopicRegistry.Props(Settings, metrics, bridge), "silent-topics");
        registry.Tell(new Topic.Subscribe("room:silent", CreateTestProbe(), "subscribe"));
        registry.Tell(new Topic.Publish(Message("room:silent", 1), "publish"));
        registry.Tell(new Topic.History("room:silent", Ack: "history"));
        var refused = Enumerable.Range(0, 3).Select(_ => ExpectMsg<TopicRefused>(TimeSpan.FromSeconds(15))).ToList();
        Assert.Equal(["history", "publish", "subscribe"], refused.Select(r => (string)r.Ack!).Order());
        Assert.All(refused, r => Assert.Equal(PubSubError.Unavailable, r.Code));
        Assert.Equal(1, metrics.PublishesInDoubt.Value);
        Assert.True(blackHole.ReceiveWhile(TimeSpan.FromMilliseconds(100), message => message).OfType<OwnerJoin>().Count() >= 2, "the join was asked again");
    }

    [Fact]
    public void A_recovery_on_every_node_gets_exactly_what_it_missed()
    {
        // Several topics: their owners land on different nodes, so each node recovers from a remote owner too.
        foreach (string topic in Enumerable.Range(0, 4).Select(i => "room:every" + i))
        {
            string epoch = Subscribe(_registries[Sys], topic, CreateTestProbe()).Position.Epoch;
            Publish(_registries[Sys], topic, 1, 5);
            foreach (ActorSystem node in Nodes)
            {
                var back = CreateTestProbe(node);
                Topic.Subscribed answer = Subscribe(_registries[node], topic, back, new PubSubPosition(epoch, 2));
                Assert.True(answer.Recovered);
                Assert.Equal([3L, 4, 5], Enumerable.Range(0, 3).Select(_ => back.ExpectMsg<TopicMessage>().Offset));
            }
        }
    }

    [Fact]
    public async Task When_the_owner_s_node_dies_the_topic_starts_a_new_epoch_elsewhere_and_subscribers_keep_receiving()
    {
        // A topic whose owner is on node B or C (not on this test's own node).
        (string topic, ActorSystem ownerNode) = Enumerable.Range(0, 50)
            .Select(i => "room:doomed" + i)
            .Select(topic => (Topic: topic, Node: OwnerNode(topic)))
            .First(candidate => candidate.Node != Sys);
        ActorSystem survivor = ownerNode == _nodeB ? _nodeC : _nodeB;
        var onA = CreateTestProbe();
        var onSurvivor = CreateTestProbe(survivor);
        string epoch = Subscribe(_registries[Sys], topic, onA).Position.Epoch;
        Subscribe(_registries[survivor], topic, onSurvivor);
        Publish(_registries[Sys], topic, 1, 3);
        foreach (var probe in new[] { onA, onSurvivor })
        {
            Assert.Equal([1L, 2, 3], Enumerable.Range(0, 3).Select(_ => probe.ExpectMsg<TopicMessage>().Offset));
        }

        // kill -9: no leaving, the others see it unreachable and down it.
        Address dead = Akka.Cluster.Cluster.Get(ownerNode).SelfAddress;
        await ownerNode.Terminate();
        Akka.Cluster.Cluster.Get(Sys).Down(dead);
        AwaitAssert(() => Assert.Equal(1, _metrics[Sys].OwnerHandovers.Value), TimeSpan.FromSeconds(30));

        // Publishes go on; both surviving nodes receive them in the new stream.
        AwaitAssert(
            () =>
            {
                _registries[survivor].Tell(new Topic.Publish(Message(topic, 100), "published"));
                ExpectMsg("published", TimeSpan.FromSeconds(5));
            },
            TimeSpan.FromSeconds(30));
        foreach (var probe in new[] { onA, onSurvivor })
        {
            TopicMessage first = probe.FishForMessage<TopicMessage>(message => ValueOf(message) == 100, TimeSpan.FromSeconds(10));
            Assert.True(first.Offset >= 1);
        }

        // A client that recovers with the old epoch must resynchronise.
        Topic.Subscribed answer = Subscribe(_registries[Sys], topic, CreateTestProbe(), new PubSubPosition(epoch, 3));
        Assert.False(answer.Recovered);
        Assert.NotEqual(epoch, answer.Position.Epoch);
    }

    [Fact]
    public async Task A_recovery_racing_with_publishes_is_whole_on_the_owner_s_node_and_on_another()
    {
        const string topic = "log:racing"; // a history longer than the race
        ActorSystem ownerNode = OwnerNode(topic);
        ActorSystem other = Nodes.First(node => node != ownerNode);
        string epoch = History(_registries[Sys], topic, limit: 0).Position.Epoch;
        Publish(_registries[Sys], topic, 1, 5);
        foreach (ActorSystem node in new[] { ownerNode, other })
        {
            long from = History(_registries[Sys], topic, limit: 0).Position.Offset - 3;
            var back = CreateTestProbe(node);
            IActorRef publisherNode = _registries[Nodes.First(n => n != node)];
            var publishing = Task.Run(() =>
            {
                for (int n = 0; n < 200; n++)
                {
                    publisherNode.Tell(new Topic.Publish(Message(topic, n)));
                }
            });
            _registries[node].Tell(new Topic.Subscribe(topic, back, "ok", Since: new PubSubPosition(epoch, from)));
            await publishing;
            Assert.True(ExpectMsg<Topic.Subscribed>().Recovered);

            // Every offset after "from", once, in order, across the replay and the live stream.
            long[] offsets = [.. Enumerable.Range(0, 203).Select(_ => back.ExpectMsg<TopicMessage>(TimeSpan.FromSeconds(20)).Offset)];
            Assert.Equal(Enumerable.Range((int)from + 1, 203).Select(n => (long)n), offsets);
            back.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
            _registries[node].Tell(new Topic.Unsubscribe(topic, back, "gone"));
            ExpectMsg("gone");
        }
    }

    [Fact]
    public void Owner_messages_round_trip_and_corrupt_ones_end_in_a_serialization_error()
    {
        var serializer = (Akka.Serialization.SerializerWithStringManifest)Sys.Serialization.FindSerializerForType(typeof(OwnerJoin));
        Assert.IsType<ClusterTopicSerializer>(serializer);
        TopicMessage[] sequenced = [TopicMessage.Create("room:é", "{\"a\":1}"u8).Sequenced(41), new TopicMessage("room:é", new byte[] { 0, 255 }, TopicPayload.Binary).Sequenced(42)];
        IActorRef follower = CreateTestProbe().Ref;
        object[] messages =
        [
            new OwnerJoin("room:é", follower, new PubSubPosition("e1", 40), 7, Rejoin: false),
            new OwnerJoin("room:é", follower, null, 8, Rejoin: true),
            new OwnerJoined("room:é", 7, new PubSubPosition("e1", 42), true, sequenced),
            new OwnerJoined("room:é", 8, new PubSubPosition("e1", 0), null, []),
            new OwnerLeave("room:é", follower),
            new OwnerPublish("room:é", TopicMessage.Create("room:é", "[1,2]"u8), 9),
            new OwnerAppended("room:é", [9, 10, 11], "e1", [41, 43, 42]),
            new OwnerMessages("room:é", "e1", sequenced),
            new OwnerHistory("room:é", -1, new PubSubPosition("e1", 3), 12),
            new OwnerRefused("room:é", 13),
        ];
        foreach (object message in messages)
        {
            string manifest = serializer.Manifest(message);
            byte[] bytes = serializer.ToBinary(message);
            object copy = serializer.FromBinary(bytes, manifest);
            Assert.Equal(Describe(message), Describe(copy));

            // Every truncation and single-byte change: a result or a SerializationException, nothing else
            // (an OwnerAppended cut right after its correlations is whole: an older node's, without positions).
            int older = message is OwnerAppended appended ? serializer.ToBinary(appended with { Epoch = string.Empty, Offsets = [] }).Length - 2 : -1;
            ClusterTopicBackendTests.AssertCorruptionIsASerializationError(serializer, bytes, manifest, mutations: 2_000, olderFormat: older);
        }

        // From a node that sends no positions (an older version): the correlations, and no positions.
        byte[] withoutPositions = serializer.ToBinary(new OwnerAppended("room:é", [9, 10], string.Empty, []));
        var old = (OwnerAppended)serializer.FromBinary(withoutPositions[..^2], serializer.Manifest(new OwnerAppended("t", [], string.Empty, [])));
        Assert.Equal([9L, 10L], old.Correlations);
        Assert.Equal((string.Empty, 0), (old.Epoch, old.Offsets.Count));

        static string Describe(object message) => message switch
        {
            OwnerJoined joined => joined with { Messages = [] } + string.Join(",", joined.Messages.Select(Describe)),
            OwnerMessages stream => stream with { Messages = [] } + string.Join(",", stream.Messages.Select(Describe)),
            OwnerPublish publish => publish with { Message = null! } + Describe(publish.Message),
            OwnerAppended appended => appended.Topic + string.Join(",", appended.Correlations) + "@" + appended.Epoch + string.Join(",", appended.Offsets),
            TopicMessage m => m.Topic + "/" + m.Kind + "/" + m.Offset + "/" + Convert.ToHexString(m.Data.Span),
            _ => message.ToString()!,
        };
    }

    /// <summary>The node whose shard region holds the topic's owner, starting it with a history read if needed.</summary>
    private ActorSystem OwnerNode(string topic)
    {
        History(_registries[Sys], topic, limit: 0);
        foreach (ActorSystem node in Nodes)
        {
            var state = ClusterSharding.Get(node).ShardRegion(TopicOwnerRegion.TypeName)
                .Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(5)).Result;
            if (state.Shards.Any(shard => shard.EntityIds.Contains(topic)))
            {
                return node;
            }
        }

        throw new InvalidOperationException("no node holds the owner of " + topic);
    }
}
