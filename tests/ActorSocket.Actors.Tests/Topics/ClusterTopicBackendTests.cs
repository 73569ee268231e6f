using ActorSocket.Actors.Cluster;
using ActorSocket.Actors.Metrics;
using ActorSocket.Actors.Topics;
using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;

namespace ActorSocket.Actors.Tests.Topics;

/// <summary>
/// The shared topic contract run against a two-node cluster in one process (two actor systems over
/// loopback remoting): the tests subscribe on node A and publish on node B, so every message crosses
/// through DistributedPubSub and our serializer. Plus what only a cluster has.
/// </summary>
public sealed class ClusterTopicBackendTests : TopicBackendContract
{
    /// <summary>A cluster node in a test process: loopback on a free port, fast gossip, our serializer.</summary>
    internal const string NodeConfig = """
        akka.loglevel = WARNING
        # Two cluster nodes in a test process that shares 2 cores with the other test assembly: a
        # subscribe's acknowledgement once took over the 3 s default.
        akka.test.single-expect-default = 10s
        akka.actor.provider = cluster
        akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
        akka.cluster {
          gossip-interval = 200ms
          leader-actions-interval = 200ms
          pub-sub.gossip-interval = 250ms
          downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
        }
        akka.actor.serializers.actorsocket-topics = "ActorSocket.Actors.Cluster.ClusterTopicSerializer, ActorSocket.Actors"
        akka.actor.serialization-bindings {
          "ActorSocket.Actors.Cluster.IClusterTopicMessage, ActorSocket.Actors" = actorsocket-topics
        }
        """;

    private static readonly TopicSettings Settings = new() { Namespaces = WildcardNamespaces };
    private readonly ActorSystem _nodeB;
    private readonly ServerMetrics _metricsA = new();
    private readonly ServerMetrics _metricsB = new();
    private IActorRef? _registryB;

    public ClusterTopicBackendTests()
        : base(NodeConfig)
    {
        _nodeB = ActorSystem.Create(Sys.Name, ConfigurationFactory.ParseString(NodeConfig));
        var a = Akka.Cluster.Cluster.Get(Sys);
        var b = Akka.Cluster.Cluster.Get(_nodeB);
        a.Join(a.SelfAddress);
        b.Join(a.SelfAddress);
        AwaitCondition(
            () => new[] { a, b }.All(node => node.State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up) == 2),
            TimeSpan.FromSeconds(20));
    }

    protected override bool DeliversThePublishedObject => false;

    protected override IActorRef CreateBackend()
    {
        // The same path on both nodes, as in the daemon: confirmations are addressed by it.
        _registryB = _nodeB.ActorOf(TopicRegistry.Props(Settings, _metricsB, new ClusterBridge(_nodeB, new ClusterTopicSettings(), _metricsB)), "topics");
        return Sys.ActorOf(TopicRegistry.Props(Settings, _metricsA, new ClusterBridge(Sys, new ClusterTopicSettings(), _metricsA)), "topics");
    }

    protected override IActorRef PublishVia(IActorRef backend) => _registryB ?? throw new InvalidOperationException("CreateBackend first.");

    protected override double SubscriptionCount() => _metricsA.Subscriptions.Value;

    protected override void AfterAll()
    {
        _nodeB.Terminate().Wait(TimeSpan.FromSeconds(10));
        base.AfterAll();
    }

    [Fact]
    public void A_publish_crosses_to_a_node_once_whatever_its_number_of_subscribers()
    {
        IActorRef backend = CreateBackend();
        var subscribers = Enumerable.Range(0, 10).Select(_ => CreateTestProbe()).ToList();
        foreach (var subscriber in subscribers)
        {
            backend.Tell(new Topic.Subscribe("wide", subscriber, "ok"));
            ExpectMsg("ok");
        }

        for (int i = 0; i < 100; i++)
        {
            PublishVia(backend).Tell(new Topic.Publish(TopicMessage.Create("wide", "1"u8)));
        }

        foreach (var subscriber in subscribers)
        {
            for (int i = 0; i < 100; i++)
            {
                subscriber.ExpectMsg<TopicMessage>();
            }
        }

        Assert.Equal(100, _metricsA.ClusterMessagesIn.Value);
        Assert.Equal(1000, _metricsA.Deliveries.Value);
        // A burst goes out in batches, not one remoting message per publish.
        Assert.InRange(_metricsB.ClusterBatchesOut.Value, 1, 99);
    }

    [Fact]
    public void A_subscriber_that_takes_batches_gets_a_burst_from_another_node_in_few_envelopes_in_order()
    {
        IActorRef backend = CreateBackend();
        var batched = CreateTestProbe();
        var plain = CreateTestProbe();
        backend.Tell(new Topic.Subscribe("burst", batched, "ok", AcceptsBatches: true));
        ExpectMsg("ok");
        backend.Tell(new Topic.Subscribe("burst", plain, "ok"));
        ExpectMsg("ok");
        for (int i = 0; i < 200; i++)
        {
            PublishVia(backend).Tell(new Topic.Publish(TopicMessage.Create("burst", System.Text.Encoding.UTF8.GetBytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture)))));
        }

        var received = new List<string>();
        int envelopes = 0;
        while (received.Count < 200)
        {
            envelopes++;
            switch (batched.ExpectMsg<object>())
            {
                case TopicMessages many:
                    received.AddRange(many.Messages.Select(m => System.Text.Encoding.UTF8.GetString(m.Data.Span)));
                    break;
                case TopicMessage one:
                    received.Add(System.Text.Encoding.UTF8.GetString(one.Data.Span));
                    break;
            }
        }

        Assert.Equal(Enumerable.Range(0, 200).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), received);
        Assert.True(envelopes < 200, "every message came in an envelope of its own");
        for (int i = 0; i < 200; i++)
        {
            plain.ExpectMsg<TopicMessage>(); // the others still get one message at a time
        }
    }

    [Fact]
    public void Subscribers_on_both_nodes_receive_each_others_publishes_and_their_own_once()
    {
        IActorRef backendA = CreateBackend();
        IActorRef backendB = PublishVia(backendA);
        var onA = CreateTestProbe();
        var onB = CreateTestProbe(_nodeB);
        backendA.Tell(new Topic.Subscribe("both", onA, "ok"));
        ExpectMsg("ok");
        backendB.Tell(new Topic.Subscribe("both", onB, "ok"));
        ExpectMsg("ok");
        backendA.Tell(new Topic.Publish(TopicMessage.Create("both", "\"from A\""u8), "sent"));
        ExpectMsg("sent");
        backendB.Tell(new Topic.Publish(TopicMessage.Create("both", "\"from B\""u8), "sent"));
        ExpectMsg("sent");
        foreach (var probe in new[] { onA, onB })
        {
            var received = new[] { probe.ExpectMsg<TopicMessage>(), probe.ExpectMsg<TopicMessage>() }
                .Select(m => System.Text.Encoding.UTF8.GetString(m.Data.Span)).Order().ToList();
            Assert.Equal(["\"from A\"", "\"from B\""], received);
            probe.ExpectNoMsg(TimeSpan.FromMilliseconds(200)); // its own node's message not a second time
        }
    }

    [Fact]
    public void The_serializer_round_trips_batches_and_confirmations_compactly()
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerForType(typeof(TopicBatch));
        Assert.IsType<ClusterTopicSerializer>(serializer);
        var batch = new TopicBatch(-42, "room:é☃", [TopicMessage.Create("room:é☃", "{\"a\":[1,2]}"u8), TopicMessage.Create("room:é☃", "\"\\u0000\""u8), new TopicMessage("room:é☃", new byte[] { 0, 255 }, TopicPayload.Binary)]);
        byte[] bytes = serializer.ToBinary(batch);
        var copy = (TopicBatch)serializer.FromBinary(bytes, serializer.Manifest(batch));
        Assert.Equal(batch.Origin, copy.Origin);
        Assert.Equal(batch.Topic, copy.Topic);
        Assert.Equal(batch.Messages.Select(m => m.Data.ToArray()), copy.Messages.Select(m => m.Data.ToArray()));
        Assert.Equal(batch.Messages.Select(m => m.Kind), copy.Messages.Select(m => m.Kind));
        // Origin, topic once, and each payload with its kind and a one-byte length: no type names, no frames.
        Assert.Equal(8 + 1 + System.Text.Encoding.UTF8.GetByteCount(batch.Topic) + 1 + (2 + 11) + (2 + 8) + (2 + 2), bytes.Length);

        var request = new ConfirmRequest("t", 7, 9);
        Assert.Equal(request, serializer.FromBinary(serializer.ToBinary(request), serializer.Manifest(request)));
        var echo = new ConfirmEcho(7, 9, "akka.tcp://actorsocket@127.0.0.1:4053");
        Assert.Equal(echo, serializer.FromBinary(serializer.ToBinary(echo), serializer.Manifest(echo)));

        var check = new PatternCheck("w:a.>", "akka.tcp://actorsocket@127.0.0.1:4053#12", 3);
        Assert.Equal(check, serializer.FromBinary(serializer.ToBinary(check), serializer.Manifest(check)));
        var held = new PatternHeld("w:a.>", 3, "akka.tcp://actorsocket@127.0.0.1:4054");
        Assert.Equal(held, serializer.FromBinary(serializer.ToBinary(held), serializer.Manifest(held)));

        var sync = new PresenceSync("p:room", "akka.tcp://actorsocket@127.0.0.1:4053#7", 42);
        Assert.Equal(sync, serializer.FromBinary(serializer.ToBinary(sync), serializer.Manifest(sync)));
        PresenceEntry[] entries = [new("a-1", "ann", "{\"name\":\"Ann é\"}"u8.ToArray()), new("b-2", "", default)];
        var snapshot = (PresenceSnapshot)serializer.FromBinary(serializer.ToBinary(new PresenceSnapshot("p:room", "n#1", 5, 9, entries)), "PN");
        Assert.Equal((5L, 9L), (snapshot.Incarnation, snapshot.Sequence));
        Assert.Equal(entries.Select(e => (e.Client, e.User, e.Info.ToArray())), snapshot.Entries.Select(e => (e.Client, e.User, e.Info.ToArray())));
        var delta = (PresenceDelta)serializer.FromBinary(serializer.ToBinary(new PresenceDelta("p:room", "n#1", 5, 10, [new ReplicatedChange(true, entries[0], false), new ReplicatedChange(false, entries[1], true)])), "PD");
        Assert.Equal([(true, false, "a-1"), (false, true, "b-2")], delta.Changes.Select(c => (c.Join, c.Silent, c.Entry.Client)));

        // A pattern batch keeps offsets (from a topic's owner) and publishers' origins (echo: false).
        TopicMessage sequenced = TopicMessage.Create("w:a.b", "1"u8).Sequenced(41);
        sequenced.Origin = 99;
        foreach (PatternBatch pattern in new[] { new PatternBatch("w:a.b", [sequenced, TopicMessage.Create("w:a.b", "2"u8).Sequenced(42)]), new PatternBatch("w:a.b", [TopicMessage.Create("w:a.b", "3"u8)]) })
        {
            var back = (PatternBatch)serializer.FromBinary(serializer.ToBinary(pattern), serializer.Manifest(pattern));
            Assert.Equal(pattern.Topic, back.Topic);
            Assert.Equal(pattern.Messages.Select(m => (m.Offset, m.Origin, m.Data.ToArray())), back.Messages.Select(m => (m.Offset, m.Origin, m.Data.ToArray())));
        }
    }

    [Fact]
    public void The_server_apis_questions_and_answers_between_nodes_round_trip_and_corrupt_ones_are_serialization_errors()
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerForType(typeof(ActorSocket.Actors.Api.UserCommand));
        Assert.IsType<ClusterTopicSerializer>(serializer);
        object[] messages =
        [
            new ActorSocket.Actors.Api.UserCommand(ActorSocket.Actors.Api.UserAction.Subscribe, "ann é", "room:x", string.Empty),
            new ActorSocket.Actors.Api.UserCommand(ActorSocket.Actors.Api.UserAction.Disconnect, "bob", string.Empty, "bye"),
            new ActorSocket.Actors.Api.UserActed("akka.tcp://actorsocket@127.0.0.1:4053", 3),
            new ActorSocket.Actors.Api.ChannelsQuery(10_000),
            new ActorSocket.Actors.Api.InfoAnswer("local", 19_500, 12, 3600, "1.0.0"),
        ];
        foreach (object message in messages)
        {
            byte[] bytes = serializer.ToBinary(message);
            Assert.Equal(message, serializer.FromBinary(bytes, serializer.Manifest(message)));
            AssertCorruptionIsASerializationError(serializer, bytes, serializer.Manifest(message), mutations: 500);
        }

        Assert.Same(ActorSocket.Actors.Api.InfoQuery.Instance, serializer.FromBinary(serializer.ToBinary(ActorSocket.Actors.Api.InfoQuery.Instance), serializer.Manifest(ActorSocket.Actors.Api.InfoQuery.Instance)));
        var channels = new ActorSocket.Actors.Api.ChannelsAnswer("n", [new("room:a", 5), new("room:é", 1)], Truncated: true);
        byte[] listed = serializer.ToBinary(channels);
        var back = (ActorSocket.Actors.Api.ChannelsAnswer)serializer.FromBinary(listed, serializer.Manifest(channels));
        Assert.Equal((channels.Node, channels.Truncated), (back.Node, back.Truncated));
        Assert.Equal(channels.Channels, back.Channels);
        AssertCorruptionIsASerializationError(serializer, listed, serializer.Manifest(channels), mutations: 500);
    }

    [Fact]
    public void Corrupt_or_lying_cluster_messages_end_in_a_serialization_error_without_allocating_what_they_claim()
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerForType(typeof(TopicBatch));
        var batch = new TopicBatch(1, "t", [TopicMessage.Create("t", "1"u8), TopicMessage.Create("t", "22"u8)]);
        byte[] valid = serializer.ToBinary(batch);
        string manifest = serializer.Manifest(batch);

        // A batch that claims 2^31-1 messages in a few bytes: refused before the array is made.
        byte[] huge = [.. valid[..(8 + 1 + 1)], 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 1, (byte)'1'];
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary(huge, manifest));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 * 1024);

        // A payload kind that does not exist (the first message's kind byte follows origin, topic and count).
        byte[] badKind = (byte[])valid.Clone();
        badKind[8 + 1 + 1 + 1] = 3;
        Assert.Contains("payload kind 3", Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary(badKind, manifest)).Message, StringComparison.Ordinal);

        // Every truncation, every single-byte change, and a varint past 32 bits: a result or a
        // SerializationException, nothing else.
        AssertCorruptionIsASerializationError(serializer, valid, manifest, mutations: 20_000);

        Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary([.. new byte[8], 0xFF, 0xFF, 0xFF, 0xFF, 0x7F], manifest));
        Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary([1, 2, 3], serializer.Manifest(new ConfirmRequest("t", 1, 2))));
    }

    [Fact]
    public async Task A_pattern_subscriber_on_a_third_node_gets_publishes_made_on_the_two_others_exactly_once()
    {
        IActorRef backendA = CreateBackend();
        IActorRef backendB = PublishVia(backendA);
        var metricsC = new ServerMetrics();
        ActorSystem nodeC = ActorSystem.Create(Sys.Name, ConfigurationFactory.ParseString(NodeConfig));
        try
        {
            var c = Akka.Cluster.Cluster.Get(nodeC);
            c.Join(Akka.Cluster.Cluster.Get(Sys).SelfAddress);
            AwaitCondition(() => c.State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up) == 3, TimeSpan.FromSeconds(20));
            IActorRef backendC = nodeC.ActorOf(TopicRegistry.Props(Settings, metricsC, new ClusterBridge(nodeC, new ClusterTopicSettings(), metricsC)), "topics");

            // On C: a pattern, and a subscriber by name of one of its topics (the mediator reaches C for
            // it too: C sorts out who takes which copy). On A: a subscriber by name as well.
            var watcher = CreateTestProbe(nodeC);
            var byName = CreateTestProbe(nodeC);
            var onA = CreateTestProbe();
            backendC.Tell(new Topic.Subscribe("w:sensors.>", watcher, "ok"));
            ExpectMsg("ok");
            backendC.Tell(new Topic.Subscribe("w:sensors.a", byName, "ok"));
            ExpectMsg("ok");
            backendA.Tell(new Topic.Subscribe("w:sensors.a", onA, "ok"));
            ExpectMsg("ok");

            for (int i = 0; i < 20; i++)
            {
                backendA.Tell(new Topic.Publish(TopicMessage.Create("w:sensors.a", System.Text.Encoding.UTF8.GetBytes("\"a" + i + "\""))));
                backendB.Tell(new Topic.Publish(TopicMessage.Create("w:sensors.b", System.Text.Encoding.UTF8.GetBytes("\"b" + i + "\""))));
                backendB.Tell(new Topic.Publish(TopicMessage.Create("w:other.b", "0"u8)));
            }

            var received = Enumerable.Range(0, 40).Select(_ => watcher.ExpectMsg<TopicMessage>()).ToList();
            foreach (string topic in new[] { "w:sensors.a", "w:sensors.b" })
            {
                char letter = topic[^1];
                Assert.Equal(
                    Enumerable.Range(0, 20).Select(i => "\"" + letter + i + "\""),
                    received.Where(m => m.Topic == topic).Select(m => System.Text.Encoding.UTF8.GetString(m.Data.Span)));
            }

            for (int i = 0; i < 20; i++)
            {
                byName.ExpectMsg<TopicMessage>();
                onA.ExpectMsg<TopicMessage>();
            }

            watcher.ExpectNoMsg(TimeSpan.FromMilliseconds(300)); // not a second copy, nothing of other.*
            byName.ExpectNoMsg(TimeSpan.FromMilliseconds(10));

            // Gone from C: after its unsubscribe is known, A and B send C nothing for the pattern.
            backendC.Tell(new Topic.Unsubscribe("w:sensors.>", watcher, "gone"));
            ExpectMsg("gone");
            AwaitAssert(() => Assert.True(PatternDirectory.For(Sys).IsEmpty && PatternDirectory.For(_nodeB).IsEmpty), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(50));
        }
        finally
        {
            await nodeC.Terminate().WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    private static System.Text.Json.JsonElement PresenceFrame(Akka.TestKit.TestProbe probe) =>
        System.Text.Json.JsonDocument.Parse(probe.ExpectMsg<ActorSocket.Actors.Handlers.Connection.SendText>(TimeSpan.FromSeconds(10)).Utf8).RootElement.Clone();

    private System.Text.Json.JsonElement Ask(IActorRef backend, bool stats, string topic = "p:room")
    {
        backend.Tell(new PresenceQuery(topic, stats, null, "q"));
        return System.Text.Json.JsonDocument.Parse(ExpectMsg<PresenceAnswer>(TimeSpan.FromSeconds(15)).Frame).RootElement.Clone();
    }

    [Fact]
    public void Presence_is_one_across_the_nodes_and_a_removed_nodes_clients_leave_at_once()
    {
        IActorRef backendA = CreateBackend();
        IActorRef backendB = PublishVia(backendA);
        var onA = CreateTestProbe();
        var onB = CreateTestProbe(_nodeB);
        backendA.Tell(new Topic.Subscribe("p:room", onA, "ok", Format: TopicFrameFormat.PubSub) { Presence = new PresenceEntry("a1", "ann", default) });
        ExpectMsg("ok");
        backendB.Tell(new Topic.Subscribe("p:room", onB, "ok", Format: TopicFrameFormat.PubSub) { Presence = new PresenceEntry("b1", "bob", default) });
        ExpectMsg("ok");

        // A hears of bob's join from B (B may hear of ann, who was there first).
        System.Text.Json.JsonElement join = PresenceFrame(onA);
        Assert.Equal(("join", "b1", true), (join.GetProperty("op").GetString(), join.GetProperty("client").GetString(), join.GetProperty("first").GetBoolean()));

        // Both nodes answer for both; a node without subscribers asks the others first.
        foreach (IActorRef backend in new[] { backendA, backendB })
        {
            System.Text.Json.JsonElement stats = Ask(backend, stats: true);
            Assert.Equal((2, 2), (stats.GetProperty("clients").GetInt32(), stats.GetProperty("users").GetInt32()));
        }

        System.Text.Json.JsonElement list = Ask(backendB, stats: false);
        Assert.Equal(["a1", "b1"], list.GetProperty("clients").EnumerateArray().Select(c => c.GetProperty("client").GetString()).Order());

        // A second client of ann's on A: B's subscriber hears of it (not her first).
        var again = CreateTestProbe();
        backendA.Tell(new Topic.Subscribe("p:room", again, "ok", Format: TopicFrameFormat.PubSub) { Presence = new PresenceEntry("a2", "ann", default) });
        ExpectMsg("ok");
        System.Text.Json.JsonElement second;
        do
        {
            second = PresenceFrame(onB);
        }
        while (second.GetProperty("client").GetString() == "a1"); // ann's first connection, learnt with A's presence
        Assert.Equal(("join", "a2"), (second.GetProperty("op").GetString(), second.GetProperty("client").GetString()));
        Assert.False(second.TryGetProperty("first", out _));

        // B leaves the cluster: bob leaves A's presence as soon as the cluster removes B.
        var b = Akka.Cluster.Cluster.Get(_nodeB);
        b.Leave(b.SelfAddress);
        System.Text.Json.JsonElement left;
        do
        {
            left = PresenceFrame(onA);
        }
        while (left.GetProperty("op").GetString() == "join"); // a2's own join is not sent to onA, others may be
        Assert.Equal(("leave", "b1", true), (left.GetProperty("op").GetString(), left.GetProperty("client").GetString(), left.GetProperty("last").GetBoolean()));
        Assert.Equal(2, Ask(backendA, stats: true).GetProperty("clients").GetInt32());
    }

    [Fact]
    public void The_presence_cap_counts_the_clients_of_every_node()
    {
        IActorRef backendA = CreateBackend();
        IActorRef backendB = PublishVia(backendA);
        backendA.Tell(new Topic.Subscribe("pc:room", CreateTestProbe(), "ok", Format: TopicFrameFormat.PubSub) { Presence = new PresenceEntry("a1", "ann", default) });
        ExpectMsg("ok");
        Assert.Equal(1, Ask(backendB, stats: false, "pc:room").GetProperty("clients").GetArrayLength()); // at the cap: still a list

        // One more on B: two present across the nodes, one more than the cap. Both nodes answer with the counts only.
        backendB.Tell(new Topic.Subscribe("pc:room", CreateTestProbe(_nodeB), "ok", Format: TopicFrameFormat.PubSub) { Presence = new PresenceEntry("b1", "bob", default) });
        ExpectMsg("ok");
        foreach (IActorRef backend in new[] { backendA, backendB })
        {
            AwaitAssert(
                () =>
                {
                    System.Text.Json.JsonElement capped = Ask(backend, stats: false, "pc:room");
                    Assert.False(capped.TryGetProperty("clients", out _));
                    Assert.Equal((2, 2), (capped.GetProperty("count").GetInt32(), capped.GetProperty("users").GetInt32()));
                },
                TimeSpan.FromSeconds(10),
                TimeSpan.FromMilliseconds(100));
        }
    }

    [Fact]
    public void A_node_that_leaves_takes_its_patterns_out_of_the_other_nodes_tables()
    {
        IActorRef backendA = CreateBackend();
        IActorRef backendB = PublishVia(backendA);
        var watcher = CreateTestProbe(_nodeB);
        backendB.Tell(new Topic.Subscribe("w:x.*", watcher, "ok"));
        ExpectMsg("ok");
        Assert.False(PatternDirectory.For(Sys).IsEmpty); // A knows B's pattern once the subscribe is acknowledged
        var b = Akka.Cluster.Cluster.Get(_nodeB);
        b.Leave(b.SelfAddress);
        AwaitAssert(() => Assert.True(PatternDirectory.For(Sys).IsEmpty), TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void Publishes_to_made_up_topics_nobody_subscribes_to_leave_no_topic_behind()
    {
        IActorRef backend = CreateBackend();
        for (int i = 0; i < 300; i++)
        {
            backend.Tell(new Topic.Publish(TopicMessage.Create("made-up-" + i, "1"u8), i));
            ExpectMsg(i); // handed to the cluster
        }

        // Each publish-only topic stops once its batch is out, not after the idle timeout (30 s here).
        AwaitAssert(
            () =>
            {
                backend.Tell(TopicRegistry.CountTopics.Instance);
                Assert.Equal(0, ExpectMsg<int>());
            },
            TimeSpan.FromSeconds(10),
            TimeSpan.FromMilliseconds(200));
    }

    /// <summary>
    /// Every truncation of <paramref name="valid"/> is a <see cref="System.Runtime.Serialization.SerializationException"/>,
    /// and every single-byte change is a result or that exception, never another one.
    /// </summary>
    /// <param name="serializer"></param>
    /// <param name="valid"></param>
    /// <param name="manifest"></param>
    /// <param name="mutations"></param>
    /// <param name="olderFormat">The length of a prefix that is itself a whole message of an older format (fields added at the end later), or -1.</param>
    internal static void AssertCorruptionIsASerializationError(SerializerWithStringManifest serializer, byte[] valid, string manifest, int mutations, int olderFormat = -1)
    {
        for (int cut = 0; cut < valid.Length; cut++)
        {
            if (cut == olderFormat)
            {
                Assert.NotNull(serializer.FromBinary(valid[..cut], manifest));
                continue;
            }

            Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary(valid[..cut], manifest));
        }

        var random = new Random(5);
        for (int i = 0; i < mutations; i++)
        {
            byte[] mutated = (byte[])valid.Clone();
            mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            try
            {
                serializer.FromBinary(mutated, manifest);
            }
            catch (System.Runtime.Serialization.SerializationException)
            {
            }
        }
    }
}
