using ActorSocket.Actors.Metrics;
using ActorSocket.Actors.Topics;
using ActorSocket.Protocol.PubSub;
using Akka.Actor;
using Akka.TestKit;

namespace ActorSocket.Actors.Tests.Topics;

/// <summary>The history contract on one node, plus what virtual time shows: expiry, idle topics that keep their history, new epochs.</summary>
public sealed class LocalTopicHistoryTests : TopicHistoryContract
{
    private readonly ServerMetrics _metrics = new();

    public LocalTopicHistoryTests()
        : base("akka.scheduler.implementation = \"Akka.TestKit.TestScheduler, Akka.TestKit\"")
    {
    }

    private TestScheduler Scheduler => (TestScheduler)Sys.Scheduler;

    private static readonly TopicSettings Settings = new() { IdleTimeout = TimeSpan.FromSeconds(30), Namespaces = Namespaces };

    protected override IActorRef CreateBackend() => Sys.ActorOf(TopicRegistry.Props(Settings, _metrics));

    private IActorRef CreateBackend(TopicSettings settings) => Sys.ActorOf(TopicRegistry.Props(settings, _metrics));

    private int TopicCount(IActorRef registry) => registry.Ask<int>(TopicRegistry.CountTopics.Instance, TimeSpan.FromSeconds(3)).Result;

    [Fact]
    public void A_topic_keeps_its_history_past_the_idle_timeout_until_its_time_to_live_then_starts_a_new_epoch()
    {
        IActorRef registry = CreateBackend();
        Publish(registry, "room:quiet", 1, 3); // nobody subscribed
        string epoch = History(registry, "room:quiet").Position.Epoch;
        Assert.Equal(3, _metrics.HistoryMessages.Value);

        // Well past the idle timeout, within the time to live: the same stream, whole.
        for (int i = 0; i < 10; i++)
        {
            Scheduler.Advance(TimeSpan.FromSeconds(30));
        }

        Topic.HistoryRead kept = History(registry, "room:quiet");
        Assert.Equal((epoch, 3L, 3), (kept.Position.Epoch, kept.Position.Offset, kept.Messages.Count));
        Assert.Equal(1, TopicCount(registry));
        Assert.True(Subscribe(registry, "room:quiet", CreateTestProbe(), new PubSubPosition(epoch, 0)).Recovered);

        // Past the time to live the messages are gone: a recovery from before them is refused.
        var late = CreateTestProbe();
        registry.Tell(new Topic.Unsubscribe("room:quiet", late, "gone"));
        ExpectMsg("gone");
        Scheduler.Advance(TimeSpan.FromMinutes(6));
        Assert.False(Subscribe(registry, "room:quiet", late, new PubSubPosition(epoch, 0)).Recovered);
        Assert.Equal(0, _metrics.HistoryMessages.Value);
        Assert.Equal(0, _metrics.HistoryBytes.Value);
    }

    [Fact]
    public void An_expired_topic_nobody_listens_to_stops_and_its_next_stream_has_a_new_epoch()
    {
        IActorRef registry = CreateBackend();
        Publish(registry, "room:gone", 1, 2);
        string epoch = History(registry, "room:gone").Position.Epoch;
        AwaitAssert(
            () =>
            {
                Scheduler.Advance(TimeSpan.FromMinutes(1));
                Assert.Equal(0, TopicCount(registry));
            },
            TimeSpan.FromSeconds(10),
            TimeSpan.FromMilliseconds(20));

        var back = CreateTestProbe();
        Topic.Subscribed answer = Subscribe(registry, "room:gone", back, new PubSubPosition(epoch, 2));
        Assert.False(answer.Recovered);
        Assert.NotEqual(epoch, answer.Position.Epoch);
        Assert.Equal(0, answer.Position.Offset); // offsets start again at 1
        Publish(registry, "room:gone", 1, 1);
        Assert.Equal(1, back.ExpectMsg<TopicMessage>().Offset);
    }

    [Fact]
    public void A_history_keeps_its_byte_cap_and_the_node_its_budget()
    {
        var small = new NamespaceTable(new NamespaceSettings(), [new NamespaceSettings { Name = "room", HistorySize = 100, HistoryMaxBytes = 4 * (TopicHistory.Overhead + 10) }]);
        long budget = 6 * (TopicHistory.Overhead + 10);
        IActorRef registry = CreateBackend(Settings with { Namespaces = small, HistoryMaxBytes = budget });
        string Ten(int n) => n.ToString("D10", System.Globalization.CultureInfo.InvariantCulture);
        for (int n = 1; n <= 6; n++)
        {
            registry.Tell(new Topic.Publish(TopicMessage.Create("room:a", System.Text.Encoding.UTF8.GetBytes(Ten(n))), "published"));
            ExpectMsg("published");
        }

        // Four fit in the topic's own cap.
        Assert.Equal([3L, 4, 5, 6], History(registry, "room:a").Messages.Select(message => message.Offset));
        // The node's budget holds six: a second topic's messages take the room the first one left, then its own oldest go.
        for (int n = 1; n <= 4; n++)
        {
            registry.Tell(new Topic.Publish(TopicMessage.Create("room:b", System.Text.Encoding.UTF8.GetBytes(Ten(n))), "published"));
            ExpectMsg("published");
        }

        Assert.Equal([3L, 4], History(registry, "room:b").Messages.Select(message => message.Offset));
        Assert.Equal(budget, _metrics.HistoryBytes.Value);
        Assert.Equal(6, _metrics.HistoryMessages.Value);
        var back = CreateTestProbe();
        string epoch = History(registry, "room:b").Position.Epoch;
        Assert.False(Subscribe(registry, "room:b", back, new PubSubPosition(epoch, 1)).Recovered);
        Assert.True(Subscribe(registry, "room:b", back, new PubSubPosition(epoch, 2)).Recovered);
        Assert.Equal([3L, 4], new[] { back.ExpectMsg<TopicMessage>().Offset, back.ExpectMsg<TopicMessage>().Offset });
    }

    [Fact]
    public void Recoveries_are_counted_by_result()
    {
        IActorRef registry = CreateBackend();
        string epoch = Subscribe(registry, "room:count", CreateTestProbe()).Position.Epoch;
        Subscribe(registry, "room:count", CreateTestProbe(), new PubSubPosition(epoch, 0));
        Subscribe(registry, "room:count", CreateTestProbe(), new PubSubPosition("old", 0));
        Subscribe(registry, "room:count", CreateTestProbe(), new PubSubPosition("old", 0));
        Assert.Equal(1, _metrics.Recoveries.WithLabels("recovered").Value);
        Assert.Equal(2, _metrics.Recoveries.WithLabels("not_recovered").Value);
    }
}
