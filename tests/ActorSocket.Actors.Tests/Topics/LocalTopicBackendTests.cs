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
}
