using ActorSocket.Actors.Metrics;
using ActorSocket.Actors.Topics;
using Akka.Actor;
using Akka.TestKit;

namespace ActorSocket.Actors.Tests.Topics;

/// <summary>The shared topic contract, run against the local registry, plus its own idle-stop rules.</summary>
public class LocalTopicBackendTests : TopicBackendContract
{
    private static readonly TopicSettings Settings = new() { IdleTimeout = TimeSpan.FromSeconds(30), Namespaces = WildcardNamespaces };
    private readonly ServerMetrics _metrics = new();

    public LocalTopicBackendTests()
        : base("akka.scheduler.implementation = \"Akka.TestKit.TestScheduler, Akka.TestKit\"")
    {
    }

    private TestScheduler Scheduler => (TestScheduler)Sys.Scheduler;

    protected override IActorRef CreateBackend() => Sys.ActorOf(TopicRegistry.Props(Settings, _metrics));

    protected override double SubscriptionCount() => _metrics.Subscriptions.Value;

    private int TopicCount(IActorRef registry) => registry.Ask<int>(TopicRegistry.CountTopics.Instance, TimeSpan.FromSeconds(3)).Result;

    [Fact]
    public void An_empty_topic_stops_after_its_idle_timeout()
    {
        IActorRef registry = CreateBackend();
        var subscriber = CreateTestProbe();
        registry.Tell(new Topic.Subscribe("room", subscriber, "ok"));
        ExpectMsg("ok");
        registry.Tell(new Topic.Unsubscribe("room", subscriber, "gone"));
        ExpectMsg("gone");
        Assert.Equal(1, TopicCount(registry));
        // The idle timer starts when the topic empties; step virtual time until the topic is gone.
        AwaitAssert(() =>
        {
            Scheduler.Advance(TimeSpan.FromSeconds(5));
            Assert.Equal(0, TopicCount(registry));
        }, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(20));
        Assert.Equal(0, _metrics.Topics.Value);
    }

    [Fact]
    public void A_subscribe_racing_with_the_idle_stop_is_never_lost()
    {
        // Many rounds: each lets a topic go idle and subscribes while the stop handshake may be in flight.
        IActorRef registry = CreateBackend();
        for (int round = 0; round < 50; round++)
        {
            var first = CreateTestProbe();
            registry.Tell(new Topic.Subscribe("race", first, "ok"));
            ExpectMsg("ok");
            registry.Tell(new Topic.Unsubscribe("race", first, "gone"));
            ExpectMsg("gone");
            Scheduler.Advance(Settings.IdleTimeout); // the topic may now be asking to stop

            var second = CreateTestProbe();
            registry.Tell(new Topic.Subscribe("race", second, "ok"));
            ExpectMsg("ok");
            registry.Tell(new Topic.Publish(TopicMessage.Create("race", "1"u8), "published"));
            ExpectMsg("published");
            second.ExpectMsg<TopicMessage>();
            registry.Tell(new Topic.Unsubscribe("race", second, "gone"));
            ExpectMsg("gone");
        }
    }

    [Fact]
    public void A_publisher_keeps_its_order_across_a_topic_restart()
    {
        IActorRef registry = CreateBackend();
        var subscriber = CreateTestProbe();
        var temporary = CreateTestProbe();
        registry.Tell(new Topic.Subscribe("ordered", temporary, "ok"));
        ExpectMsg("ok");
        registry.Tell(new Topic.Unsubscribe("ordered", temporary, "gone"));
        ExpectMsg("gone");
        Scheduler.Advance(Settings.IdleTimeout);
        registry.Tell(new Topic.Subscribe("ordered", subscriber, "ok"));
        for (int i = 0; i < 100; i++)
        {
            registry.Tell(new Topic.Publish(TopicMessage.Create("ordered", System.Text.Encoding.UTF8.GetBytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture)))));
        }

        ExpectMsg("ok");
        for (int i = 0; i < 100; i++)
        {
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), System.Text.Encoding.UTF8.GetString(subscriber.ExpectMsg<TopicMessage>().Data.Span));
        }
    }

    [Fact]
    public void Distinct_patterns_past_the_nodes_maximum_are_refused_and_a_held_pattern_takes_more_subscribers()
    {
        IActorRef registry = Sys.ActorOf(TopicRegistry.Props(Settings with { MaxPatterns = 2 }, _metrics));
        var first = CreateTestProbe();
        var second = CreateTestProbe();
        registry.Tell(new Topic.Subscribe("w:a.*", first, "ok"));
        registry.Tell(new Topic.Subscribe("w:b.*", first, "ok"));
        ExpectMsg("ok");
        ExpectMsg("ok");
        registry.Tell(new Topic.Subscribe("w:c.*", first, "third"));
        TopicRefused refused = ExpectMsg<TopicRefused>();
        Assert.Equal(("third", "unavailable"), (refused.Ack, refused.Code));
        registry.Tell(new Topic.Subscribe("w:a.*", second, "ok")); // not a new pattern: taken
        ExpectMsg("ok");
        Assert.Equal(3, _metrics.Subscriptions.Value);

        // The refused pattern left nothing behind: once one is gone, it is taken.
        registry.Tell(new Topic.Unsubscribe("w:b.*", first, "gone"));
        ExpectMsg("gone");
        registry.Tell(new Topic.Subscribe("w:c.*", first, "ok"));
        ExpectMsg("ok");
        registry.Tell(new Topic.Publish(TopicMessage.Create("w:c.x", "1"u8), "published"));
        ExpectMsg("published"); // no topic actor: delivered by the registry to the pattern's subscriber
        Assert.Equal("w:c.x", first.ExpectMsg<TopicMessage>().Topic);
        Assert.Equal(0, TopicCount(registry));
    }

    private static readonly NamespaceTable PresenceNamespaces = new(
        new NamespaceSettings(),
        [new NamespaceSettings { Name = "p", Presence = true, JoinLeave = true, PresenceLeaveGrace = TimeSpan.FromSeconds(5), PresenceWindow = TimeSpan.FromMilliseconds(200) }]);

    private static System.Text.Json.JsonElement Frame(Akka.TestKit.TestProbe probe) =>
        System.Text.Json.JsonDocument.Parse(probe.ExpectMsg<ActorSocket.Actors.Handlers.Connection.SendText>().Utf8).RootElement.Clone();

    private static string[] Clients(System.Text.Json.JsonElement frame, string list) =>
        [.. frame.GetProperty(list).EnumerateArray().Select(entry => entry.GetProperty("client").GetString()!)];

    [Fact]
    public void Presence_changes_go_out_at_once_then_coalesced_per_window_and_a_reconnect_within_the_grace_is_silent()
    {
        IActorRef registry = Sys.ActorOf(TopicRegistry.Props(Settings with { Namespaces = PresenceNamespaces }, _metrics));
        var probes = Enumerable.Range(0, 6).Select(_ => CreateTestProbe()).ToArray();
        void Join(int i, string user)
        {
            registry.Tell(new Topic.Subscribe("p:room", probes[i], "ok", Format: TopicFrameFormat.PubSub) { Presence = new PresenceEntry("c" + i, user, default) });
            ExpectMsg("ok");
        }

        Join(0, "ann"); // its join went to nobody, and opened a window
        Scheduler.Advance(TimeSpan.FromMilliseconds(200)); // which closes, empty
        Join(1, "bob");
        var first = Frame(probes[0]); // at once: the window was closed
        Assert.Equal(("join", "c1", true), (first.GetProperty("op").GetString(), first.GetProperty("client").GetString(), first.GetProperty("first").GetBoolean()));
        probes[1].ExpectNoMsg(TimeSpan.FromMilliseconds(50)); // never its own join

        // Within the window: held, then one diff; a newcomer gets only what came after it.
        Join(2, "carol");
        Join(3, "dave");
        probes[0].ExpectNoMsg(TimeSpan.FromMilliseconds(50));
        Scheduler.Advance(TimeSpan.FromMilliseconds(200));
        var diff = Frame(probes[0]);
        Assert.Equal("presence-diff", diff.GetProperty("op").GetString());
        Assert.Equal(["c2", "c3"], Clients(diff, "joins"));
        Assert.Equal(new[] { "c2", "c3" }, Clients(Frame(probes[1]), "joins"));
        var after = Frame(probes[2]);
        Assert.Equal(("join", "c3"), (after.GetProperty("op").GetString(), after.GetProperty("client").GetString()));
        probes[3].ExpectNoMsg(TimeSpan.FromMilliseconds(50));
        Scheduler.Advance(TimeSpan.FromMilliseconds(200)); // an empty window closes

        // dave's connection ends; dave is back within the grace: nobody hears of it.
        Watch(probes[3]);
        probes[3].Tell(PoisonPill.Instance);
        ExpectTerminated(probes[3]);
        AwaitAssert(() => Assert.Equal(3, _metrics.Subscriptions.Value));
        Scheduler.Advance(TimeSpan.FromSeconds(4));
        Join(4, "dave");
        Scheduler.Advance(TimeSpan.FromSeconds(2));
        registry.Tell(new PresenceQuery("p:room", Stats: true, null, "stats"));
        var stats = System.Text.Json.JsonDocument.Parse(ExpectMsg<PresenceAnswer>().Frame).RootElement;
        Assert.Equal((4, 4), (stats.GetProperty("clients").GetInt32(), stats.GetProperty("users").GetInt32()));
        probes[0].ExpectNoMsg(TimeSpan.FromMilliseconds(50));

        // carol's connection ends for good: present for the grace, then her last leave.
        Watch(probes[2]);
        probes[2].Tell(PoisonPill.Instance);
        ExpectTerminated(probes[2]);
        AwaitAssert(() => Assert.Equal(3, _metrics.Subscriptions.Value));
        Scheduler.Advance(TimeSpan.FromSeconds(4.9));
        probes[0].ExpectNoMsg(TimeSpan.FromMilliseconds(50));
        AwaitAssert(
            () =>
            {
                Scheduler.Advance(TimeSpan.FromMilliseconds(100));
                var leave = Frame(probes[0]);
                Assert.Equal(("leave", "c2", true), (leave.GetProperty("op").GetString(), leave.GetProperty("client").GetString(), leave.GetProperty("last").GetBoolean()));
            },
            TimeSpan.FromSeconds(5),
            TimeSpan.FromMilliseconds(20));
    }
}
