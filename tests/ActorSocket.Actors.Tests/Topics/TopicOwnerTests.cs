using ActorSocket.Actors.Cluster;
using ActorSocket.Actors.Metrics;
using ActorSocket.Actors.Topics;
using ActorSocket.Protocol.PubSub;
using Akka.Actor;
using Akka.TestKit.Xunit2;

namespace ActorSocket.Actors.Tests.Topics;

/// <summary>A topic owner on its own, without sharding around it: what it answers, and the node's cap on owners.</summary>
public sealed class TopicOwnerTests : TestKit
{
    private static readonly NamespaceSettings Room = new() { Name = "room", HistorySize = 10 };
    private readonly ServerMetrics _metrics = new();

    private IActorRef Owner(string topic, int maxOwners) =>
        Sys.ActorOf(Props.Create(() => new TopicOwner(topic, Room, new HistoryBudget(1 << 20, _metrics), _metrics, TimeSpan.FromMinutes(1), maxOwners)));

    [Fact]
    public void An_owner_orders_publishes_answers_joins_after_what_it_sent_and_a_node_full_of_owners_refuses_more()
    {
        IActorRef first = Owner("room:a", maxOwners: 1);
        first.Tell(new OwnerJoin("room:a", TestActor, null, 1, Rejoin: false));
        OwnerJoined joined = ExpectMsg<OwnerJoined>();
        Assert.Equal((1L, 0L), (joined.Correlation, joined.Position.Offset));
        first.Tell(new OwnerPublish("room:a", TopicMessage.Create("room:a", "1"u8), 2));
        first.Tell(new OwnerPublish("room:a", TopicMessage.Create("room:a", "2"u8), 3));

        // The follower gets the messages, then the publisher its confirmations.
        var messages = new List<long>();
        while (messages.Count < 2)
        {
            messages.AddRange(ExpectMsg<OwnerMessages>().Messages.Select(message => message.Offset));
        }

        Assert.Equal([1L, 2], messages);
        var confirmed = new List<long>();
        while (confirmed.Count < 2)
        {
            confirmed.AddRange(ExpectMsg<OwnerAppended>().Correlations);
        }

        Assert.Equal([2L, 3], confirmed);
        first.Tell(new OwnerJoin("room:a", TestActor, new PubSubPosition(joined.Position.Epoch, 0), 4, Rejoin: false));
        OwnerJoined recovered = ExpectMsg<OwnerJoined>();
        Assert.Equal((true, 2), (recovered.Recovered, recovered.Messages.Count));
        Assert.Equal(1, _metrics.TopicOwners.Value);

        // A second owner on a node that may hold one: every request answered "refused", nothing kept.
        IActorRef second = Owner("room:b", maxOwners: 1);
        second.Tell(new OwnerPublish("room:b", TopicMessage.Create("room:b", "1"u8), 5));
        Assert.Equal(new OwnerRefused("room:b", 5), ExpectMsg<OwnerRefused>());
        second.Tell(new OwnerJoin("room:b", TestActor, null, 6, Rejoin: false));
        Assert.Equal(6, ExpectMsg<OwnerRefused>().Correlation);
        second.Tell(new OwnerHistory("room:b", -1, null, 7));
        Assert.Equal(7, ExpectMsg<OwnerRefused>().Correlation);
        Assert.Equal(1, _metrics.TopicOwners.Value);
        Assert.Equal(2, _metrics.HistoryMessages.Value);
    }

    [Theory]
    [InlineData(true, 3, 3, true, true)]
    [InlineData(true, 3, 2, false, true)] // one member lost: the majority side serves
    [InlineData(true, 3, 1, true, false)] // cut off: even with the lowest address
    [InlineData(true, 4, 2, true, true)] // an even split: the side with the lowest address, as keep-majority
    [InlineData(true, 4, 2, false, false)]
    [InlineData(false, 3, 3, true, false)] // not up (joining, leaving, down)
    [InlineData(true, 1, 1, true, true)]
    public void A_node_serves_only_when_up_and_on_the_side_the_resolver_keeps(bool up, int members, int reachable, bool lowestReachable, bool serves) =>
        Assert.Equal(serves, ClusterMonitor.Serves(up, members, reachable, lowestReachable));
}
