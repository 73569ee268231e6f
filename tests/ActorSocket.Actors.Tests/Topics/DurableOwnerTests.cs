using ActorSocket.Actors.Cluster;
using ActorSocket.Actors.Metrics;
using ActorSocket.Actors.Topics;
using ActorSocket.Protocol.PubSub;
using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Microsoft.Data.Sqlite;

namespace ActorSocket.Actors.Tests.Topics;

/// <summary>
/// A durable topic's owner over a real SQLite store (Akka.Persistence.Sql), with the test
/// scheduler's clock: acknowledgement after the write, the same stream in the next incarnation, and
/// the store trimmed to the history's bounds by count and by age.
/// </summary>
public sealed class DurableOwnerTests : TestKit
{
    private static readonly NamespaceSettings Durable = new() { Name = "d", HistorySize = 100, HistoryTtl = TimeSpan.FromMinutes(1), HistoryDurable = true };
    private readonly ServerMetrics _metrics = new();
    private readonly string _file;

    public DurableOwnerTests()
        : this(Path.Combine(Path.GetTempPath(), "actorsocket-owner-" + Guid.NewGuid().ToString("N")[..12] + ".db"))
    {
    }

    private DurableOwnerTests(string file)
        : base(StoreConfig(file))
    {
        _file = file;
    }

    private TestScheduler Scheduler => (TestScheduler)Sys.Scheduler;

    private static Config StoreConfig(string file)
    {
        string plugin = $$"""
            connection-string = "Data Source={{file}}"
            provider-name = "SQLite.MS"
            auto-initialize = on
            """;
        return ConfigurationFactory.ParseString($$"""
            akka.scheduler.implementation = "Akka.TestKit.TestScheduler, Akka.TestKit"
            akka.actor.serializers.actorsocket-topics = "ActorSocket.Actors.Cluster.ClusterTopicSerializer, ActorSocket.Actors"
            akka.actor.serialization-bindings { "ActorSocket.Actors.Cluster.IStoredHistory, ActorSocket.Actors" = actorsocket-topics }
            akka.persistence.journal { plugin = "akka.persistence.journal.sql", sql { {{plugin}} } }
            akka.persistence.snapshot-store { plugin = "akka.persistence.snapshot-store.sql", sql { {{plugin}} } }
            """).WithFallback(Akka.Persistence.Sql.SqlPersistence.DefaultConfiguration);
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        SqliteConnection.ClearAllPools();
        foreach (string path in new[] { _file, _file + "-wal", _file + "-shm" })
        {
            File.Delete(path);
        }
    }

    private IActorRef Owner(string topic) =>
        Sys.ActorOf(Props.Create(() => new TopicOwner(topic, Durable, new HistoryBudget(1 << 24, _metrics), _metrics, TimeSpan.FromMinutes(5), int.MaxValue, new HistoryStore(_metrics, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), "", ""))));

    /// <summary>Publishes <paramref name="count"/> messages from the test actor; the offsets the follower (also the test actor) received.</summary>
    private List<long> Publish(IActorRef owner, string topic, int first, int count)
    {
        for (int i = 0; i < count; i++)
        {
            owner.Tell(new OwnerPublish(topic, TopicMessage.Create(topic, System.Text.Encoding.UTF8.GetBytes((first + i).ToString(System.Globalization.CultureInfo.InvariantCulture))), first + i));
        }

        var offsets = new List<long>();
        var confirmed = new List<long>();
        while (confirmed.Count < count)
        {
            object message = ExpectMsg<object>(TimeSpan.FromSeconds(10));
            if (message is OwnerMessages messages)
            {
                offsets.AddRange(messages.Messages.Select(m => m.Offset));
            }
            else
            {
                // Here correlation n is the message at offset n: never acknowledged before the followers had it.
                IReadOnlyList<long> correlations = Assert.IsType<OwnerAppended>(message).Correlations;
                Assert.All(correlations, correlation => Assert.Contains(correlation, offsets));
                confirmed.AddRange(correlations);
            }
        }

        Assert.Equal(Enumerable.Range(first, count).Select(i => (long)i), confirmed);
        return offsets;
    }

    private (long Events, long Snapshots) Stored(string topic)
    {
        using var connection = new SqliteConnection("Data Source=" + _file);
        connection.Open();
        using SqliteCommand events = connection.CreateCommand();
        events.CommandText = "SELECT COUNT(*) FROM journal WHERE persistence_id = $id AND deleted = 0";
        events.Parameters.AddWithValue("$id", TopicJournal.PersistenceIdOf(topic));
        using SqliteCommand snapshots = connection.CreateCommand();
        snapshots.CommandText = "SELECT COUNT(*) FROM snapshot WHERE persistence_id = $id";
        snapshots.Parameters.AddWithValue("$id", TopicJournal.PersistenceIdOf(topic));
        return ((long)events.ExecuteScalar()!, (long)snapshots.ExecuteScalar()!);
    }

    [Fact]
    public void A_publish_is_acknowledged_once_written_and_the_next_incarnation_continues_the_same_epoch_and_offsets()
    {
        IActorRef owner = Owner("d:a");
        owner.Tell(new OwnerJoin("d:a", TestActor, null, 1, Rejoin: false));
        OwnerJoined joined = ExpectMsg<OwnerJoined>(TimeSpan.FromSeconds(10));
        Assert.Equal(0, joined.Position.Offset);
        Assert.Equal([1L, 2, 3], Publish(owner, "d:a", 1, 3));
        Assert.Equal(3, _metrics.HistoryStoreMessagesWritten.Value);

        Watch(owner);
        owner.Tell(OwnerStop.Instance);
        ExpectTerminated(owner);

        IActorRef next = Owner("d:a");
        next.Tell(new OwnerJoin("d:a", TestActor, new PubSubPosition(joined.Position.Epoch, 1), 2, Rejoin: false));
        OwnerJoined again = ExpectMsg<OwnerJoined>(TimeSpan.FromSeconds(10));
        Assert.Equal((joined.Position.Epoch, 3L, (bool?)true), (again.Position.Epoch, again.Position.Offset, again.Recovered));
        Assert.Equal([2L, 3], again.Messages.Select(message => message.Offset));
        Assert.Equal("2", System.Text.Encoding.UTF8.GetString(again.Messages[0].Data.Span));
        Assert.Equal([4L], Publish(next, "d:a", 4, 1));
    }

    [Fact]
    public void The_store_is_trimmed_to_the_history_by_count_and_empties_when_every_message_expired()
    {
        IActorRef owner = Owner("d:b");
        owner.Tell(new OwnerJoin("d:b", TestActor, null, 1, Rejoin: false));
        ExpectMsg<OwnerJoined>(TimeSpan.FromSeconds(10));
        for (int round = 0; round < 10; round++)
        {
            Publish(owner, "d:b", 1 + (round * 50), 50);
            Scheduler.Advance(TimeSpan.FromSeconds(1)); // a busy topic snapshots at most once a second
        }

        // 500 messages in many writes; a snapshot after every 100 deleted the events before it.
        // The snapshot is saved first and the events behind it deleted after: both are awaited.
        long writes = (long)_metrics.HistoryStoreWrites.Value;
        AwaitAssert(
            () =>
            {
                (long events, long snapshots) = Stored("d:b");
                Assert.Equal(1, snapshots);
                Assert.True(events < writes, $"{events} events kept of {writes} written");
            },
            TimeSpan.FromSeconds(10));

        // A minute later every message expired: the stream leaves the store (nothing is left to
        // recover) and goes on in memory; its next message writes it again, in the same epoch.
        Scheduler.Advance(TimeSpan.FromMinutes(1.5));
        AwaitAssert(() => Assert.Equal((0L, 0L), Stored("d:b")), TimeSpan.FromSeconds(10));
        owner.Tell(new OwnerHistory("d:b", -1, null, 2));
        OwnerJoined read = ExpectMsg<OwnerJoined>(TimeSpan.FromSeconds(10));
        Assert.Equal((500L, 0), (read.Position.Offset, read.Messages.Count));
        Assert.Equal([501L], Publish(owner, "d:b", 501, 1));
        Watch(owner);
        owner.Tell(OwnerStop.Instance);
        ExpectTerminated(owner);
        IActorRef next = Owner("d:b");
        next.Tell(new OwnerJoin("d:b", TestActor, new PubSubPosition(read.Position.Epoch, 500), 3, Rejoin: false));
        OwnerJoined again = ExpectMsg<OwnerJoined>(TimeSpan.FromSeconds(10));
        Assert.Equal((read.Position.Epoch, 501L, (bool?)true), (again.Position.Epoch, again.Position.Offset, again.Recovered));
        Assert.Equal([501L], again.Messages.Select(message => message.Offset));
    }
}
