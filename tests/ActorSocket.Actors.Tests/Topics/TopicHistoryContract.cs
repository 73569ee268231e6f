using ActorSocket.Actors.Topics;
using ActorSocket.Protocol.PubSub;
using Akka.Actor;
using Akka.TestKit.Xunit2;

namespace ActorSocket.Actors.Tests.Topics;

/// <summary>
/// What every topic backend must do for topics with history, on one node or across a cluster:
/// offsets without gaps, one order, epochs, recovery that is whole or refused, the history op.
/// Topics of namespace <c>room</c> keep the last <see cref="HistorySize"/> messages, of namespace
/// <c>log</c> the last 1,000 (races that publish hundreds while a client recovers), of namespace
/// <c>brief</c> the last 10 for 2 s (expiry on a real clock), of namespace <c>feed</c> (with
/// wildcards) the last 100; others none.
/// </summary>
public abstract class TopicHistoryContract : TestKit
{
    protected const int HistorySize = 10;

    protected TopicHistoryContract(string config)
        : base(config)
    {
    }

    /// <summary>The namespaces the backends are created with.</summary>
    private protected static NamespaceTable Namespaces { get; } = new(
        new NamespaceSettings(),
        [
            new NamespaceSettings { Name = "room", HistorySize = HistorySize, HistoryTtl = TimeSpan.FromMinutes(10) },
            new NamespaceSettings { Name = "log", HistorySize = 1000, HistoryTtl = TimeSpan.FromMinutes(10) },
            new NamespaceSettings { Name = "brief", HistorySize = HistorySize, HistoryTtl = TimeSpan.FromSeconds(2) },
            new NamespaceSettings { Name = "feed", HistorySize = 100, HistoryTtl = TimeSpan.FromMinutes(10), Wildcards = true },
        ]);

    /// <summary>A fresh backend (on the node the tests subscribe on).</summary>
    protected abstract IActorRef CreateBackend();

    /// <summary>Where the tests publish: the backend, or the backend of another node.</summary>
    protected virtual IActorRef PublishVia(IActorRef backend) => backend;

    protected static TopicMessage Message(string topic, int n) =>
        TopicMessage.Create(topic, System.Text.Encoding.UTF8.GetBytes(n.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    protected static int ValueOf(TopicMessage message) => int.Parse(System.Text.Encoding.UTF8.GetString(message.Data.Span), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Subscribes <paramref name="subscriber"/> and returns the acknowledged position.</summary>
    protected Topic.Subscribed Subscribe(IActorRef backend, string topic, IActorRef subscriber, PubSubPosition? since = null, bool batches = false)
    {
        backend.Tell(new Topic.Subscribe(topic, subscriber, "ok", AcceptsBatches: batches, Since: since));
        var subscribed = ExpectMsg<Topic.Subscribed>();
        Assert.Equal("ok", subscribed.Ack);
        return subscribed;
    }

    protected void Publish(IActorRef backend, string topic, int from, int count)
    {
        IActorRef via = PublishVia(backend);
        for (int n = from; n < from + count; n++)
        {
            via.Tell(new Topic.Publish(Message(topic, n), "published"));
        }

        for (int n = 0; n < count; n++)
        {
            ExpectMsg("published");
        }
    }

    protected Topic.HistoryRead History(IActorRef backend, string topic, int limit = -1, PubSubPosition? since = null)
    {
        backend.Tell(new Topic.History(topic, limit, since, "read"));
        var read = ExpectMsg<Topic.HistoryRead>();
        Assert.Equal("read", read.Ack);
        return read;
    }

    [Fact]
    public void A_pattern_subscriber_gets_each_message_of_history_topics_once_with_its_offset_in_order()
    {
        IActorRef backend = CreateBackend();
        var watcher = CreateTestProbe();
        var byName = CreateTestProbe();
        backend.Tell(new Topic.Subscribe("feed:news.>", watcher, "ok"));
        ExpectMsg("ok"); // a pattern has no position of its own: a plain acknowledgement
        Subscribe(backend, "feed:news.a", byName);
        Subscribe(backend, "feed:news.b", watcher); // by name as well: still once
        Publish(backend, "feed:news.a", 1, 10);
        Publish(backend, "feed:news.b", 1, 10);
        Publish(backend, "feed:sport.a", 1, 3);

        var received = Enumerable.Range(0, 20).Select(_ => watcher.ExpectMsg<TopicMessage>()).ToList();
        foreach (string topic in new[] { "feed:news.a", "feed:news.b" })
        {
            Assert.Equal(Enumerable.Range(1, 10).Select(n => ((long)n, n)), received.Where(m => m.Topic == topic).Select(m => (m.Offset, ValueOf(m))));
        }

        Assert.Equal(Enumerable.Range(1, 10), Enumerable.Range(0, 10).Select(_ => ValueOf(byName.ExpectMsg<TopicMessage>())));
        watcher.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void A_subscribe_to_an_empty_topic_already_gets_an_epoch_and_offsets_then_count_from_1()
    {
        IActorRef backend = CreateBackend();
        var subscriber = CreateTestProbe();
        Topic.Subscribed first = Subscribe(backend, "room:count", subscriber);
        Assert.False(string.IsNullOrEmpty(first.Position.Epoch));
        Assert.Equal(0, first.Position.Offset);
        Assert.Null(first.Recovered); // no since, no recovered

        Publish(backend, "room:count", 0, 3);
        for (int n = 0; n < 3; n++)
        {
            TopicMessage message = subscriber.ExpectMsg<TopicMessage>();
            Assert.Equal(n + 1, message.Offset);
            Assert.Equal(n, ValueOf(message));
        }

        Topic.Subscribed second = Subscribe(backend, "room:count", CreateTestProbe());
        Assert.Equal(new PubSubPosition(first.Position.Epoch, 3), second.Position);
    }

    [Fact]
    public void Topics_without_history_have_no_offsets_and_refuse_since_and_history()
    {
        IActorRef backend = CreateBackend();
        var subscriber = CreateTestProbe();
        backend.Tell(new Topic.Subscribe("plain", subscriber, "ok"));
        ExpectMsg("ok"); // version 1: the bare acknowledgement
        PublishVia(backend).Tell(new Topic.Publish(Message("plain", 1), "published"));
        ExpectMsg("published");
        Assert.Equal(0, subscriber.ExpectMsg<TopicMessage>().Offset);

        backend.Tell(new Topic.Subscribe("plain", CreateTestProbe(), "since", Since: new PubSubPosition("e", 0)));
        Assert.Equal(PubSubError.BadRequest, ExpectMsg<TopicRefused>().Code);
        backend.Tell(new Topic.History("plain", Ack: "history"));
        var refused = ExpectMsg<TopicRefused>();
        Assert.Equal(("history", PubSubError.BadRequest), (refused.Ack, refused.Code));
    }

    [Fact]
    public void A_subscriber_that_recovers_gets_exactly_what_it_missed_then_the_live_stream()
    {
        IActorRef backend = CreateBackend();
        var first = CreateTestProbe();
        Topic.Subscribed position = Subscribe(backend, "room:recover", first);
        Publish(backend, "room:recover", 1, 2);
        first.ExpectMsg<TopicMessage>();
        first.ExpectMsg<TopicMessage>();
        Publish(backend, "room:recover", 3, 4); // missed by the one that comes back

        var back = CreateTestProbe();
        Topic.Subscribed recovered = Subscribe(backend, "room:recover", back, new PubSubPosition(position.Position.Epoch, 2));
        Assert.True(recovered.Recovered);
        Assert.Equal(6, recovered.Position.Offset);
        Publish(backend, "room:recover", 7, 2);
        Assert.Equal([3, 4, 5, 6, 7, 8], Enumerable.Range(0, 6).Select(_ => (int)back.ExpectMsg<TopicMessage>().Offset));
        back.ExpectNoMsg(TimeSpan.FromMilliseconds(100));

        // Nothing missed: recovered, nothing replayed.
        var current = CreateTestProbe();
        Assert.True(Subscribe(backend, "room:recover", current, new PubSubPosition(position.Position.Epoch, 8)).Recovered);
        current.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void A_batch_taking_subscriber_gets_its_replay_in_one_envelope()
    {
        IActorRef backend = CreateBackend();
        string epoch = Subscribe(backend, "room:batch", CreateTestProbe()).Position.Epoch;
        Publish(backend, "room:batch", 1, 5);
        var back = CreateTestProbe();
        Assert.True(Subscribe(backend, "room:batch", back, new PubSubPosition(epoch, 1), batches: true).Recovered);
        Assert.Equal([2L, 3, 4, 5], back.ExpectMsg<TopicMessages>().Messages.Select(message => message.Offset));
    }

    [Theory]
    [InlineData("another epoch", 1)]
    [InlineData("", 1)]
    [InlineData(null, 0)] // older than the oldest message kept (offset 1 is gone, 12 published, 10 kept)
    [InlineData(null, 1)]
    [InlineData(null, 13)] // above the current offset
    public void A_recovery_that_cannot_be_whole_is_refused_and_replays_nothing(string? epoch, long offset)
    {
        IActorRef backend = CreateBackend();
        string current = Subscribe(backend, "room:partial", CreateTestProbe()).Position.Epoch;
        Publish(backend, "room:partial", 1, HistorySize + 2);
        var back = CreateTestProbe();
        Topic.Subscribed answer = Subscribe(backend, "room:partial", back, new PubSubPosition(epoch ?? current, offset));
        Assert.False(answer.Recovered);
        Assert.Equal(new PubSubPosition(current, HistorySize + 2), answer.Position);
        back.ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // never a partial replay
        Publish(backend, "room:partial", 100, 1);
        Assert.Equal(HistorySize + 3, back.ExpectMsg<TopicMessage>().Offset); // and subscribed all the same

        // The oldest message still kept (4 of 13) is recoverable from just before it, not from one earlier.
        Assert.True(Subscribe(backend, "room:partial", CreateTestProbe(), new PubSubPosition(current, 3)).Recovered);
        Assert.False(Subscribe(backend, "room:partial", CreateTestProbe(), new PubSubPosition(current, 2)).Recovered);
    }

    [Fact]
    public void History_answers_the_most_recent_messages_or_those_after_a_position()
    {
        IActorRef backend = CreateBackend();
        Publish(backend, "room:history", 1, HistorySize + 5); // nobody subscribed: kept all the same
        Topic.HistoryRead all = History(backend, "room:history");
        Assert.Equal(HistorySize + 5, all.Position.Offset);
        Assert.Null(all.Recovered);
        Assert.Equal(Enumerable.Range(6, HistorySize).Select(n => (long)n), all.Messages.Select(message => message.Offset));
        Assert.Equal(Enumerable.Range(6, HistorySize), all.Messages.Select(ValueOf));

        Assert.Equal([14L, 15], History(backend, "room:history", limit: 2).Messages.Select(message => message.Offset));
        Topic.HistoryRead none = History(backend, "room:history", limit: 0);
        Assert.Empty(none.Messages);
        Assert.Equal(all.Position, none.Position);

        Topic.HistoryRead after = History(backend, "room:history", limit: 3, since: new PubSubPosition(all.Position.Epoch, 8));
        Assert.True(after.Recovered);
        Assert.Equal([9L, 10, 11], after.Messages.Select(message => message.Offset));
        Topic.HistoryRead gone = History(backend, "room:history", since: new PubSubPosition(all.Position.Epoch, 2));
        Assert.False(gone.Recovered);
        Assert.Empty(gone.Messages);
        Assert.False(History(backend, "room:history", since: new PubSubPosition("other", 8)).Recovered);

        // A topic never published on: a stream with an epoch and nothing in it.
        Topic.HistoryRead empty = History(backend, "room:never");
        Assert.Equal(0, empty.Position.Offset);
        Assert.False(string.IsNullOrEmpty(empty.Position.Epoch));
    }

    [Fact]
    public void Every_subscriber_sees_one_order_whoever_published()
    {
        IActorRef backend = CreateBackend();
        var subscribers = Enumerable.Range(0, 3).Select(_ => CreateTestProbe()).ToList();
        foreach (var subscriber in subscribers)
        {
            Subscribe(backend, "room:order", subscriber);
        }

        // Two publishers at once, from two threads: the offsets decide the one order.
        IActorRef[] via = [backend, PublishVia(backend)];
        Parallel.For(0, 2, p =>
        {
            for (int n = 0; n < 200; n++)
            {
                via[p].Tell(new Topic.Publish(Message("room:order", (p * 1000) + n)));
            }
        });
        var orders = subscribers.Select(subscriber => Enumerable.Range(0, 400).Select(_ => subscriber.ExpectMsg<TopicMessage>()).ToList()).ToList();
        Assert.Equal(Enumerable.Range(1, 400).Select(n => (long)n), orders[0].Select(message => message.Offset));
        foreach (var order in orders.Skip(1))
        {
            Assert.Equal(orders[0].Select(ValueOf), order.Select(ValueOf));
        }

        // Each publisher's own messages stay in its order.
        Assert.Equal(Enumerable.Range(0, 200), orders[0].Select(ValueOf).Where(v => v < 1000));
        Assert.Equal(Enumerable.Range(1000, 200), orders[0].Select(ValueOf).Where(v => v >= 1000));
    }

    [Fact]
    public async Task A_recovery_racing_with_live_publishes_has_no_gap_and_no_duplicate()
    {
        IActorRef backend = CreateBackend();
        string epoch = Subscribe(backend, "log:race", CreateTestProbe()).Position.Epoch;
        Publish(backend, "log:race", 1, 5);
        var back = CreateTestProbe();
        IActorRef via = PublishVia(backend);
        var publisher = Task.Run(() =>
        {
            for (int n = 6; n <= 205; n++)
            {
                via.Tell(new Topic.Publish(Message("log:race", n)));
            }
        });
        backend.Tell(new Topic.Subscribe("log:race", back, "ok", Since: new PubSubPosition(epoch, 3)));
        await publisher;
        var answer = ExpectMsg<Topic.Subscribed>();
        Assert.True(answer.Recovered);
        long[] offsets = [.. Enumerable.Range(0, 202).Select(_ => back.ExpectMsg<TopicMessage>().Offset)];
        Assert.Equal(Enumerable.Range(4, 202).Select(n => (long)n), offsets);
    }
}
