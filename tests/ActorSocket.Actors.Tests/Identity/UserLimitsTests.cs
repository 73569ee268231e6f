using ActorSocket.Actors.Identity;
using ActorSocket.Actors.Metrics;
using ActorSocket.Actors.Tests.Topics;
using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using Akka.TestKit.Xunit2;

namespace ActorSocket.Actors.Tests.Identity;

/// <summary>Per-user buckets: on one node with a fake clock, and shared across two cluster nodes through sharding.</summary>
public sealed class UserLimitsTests : TestKit
{
    public UserLimitsTests()
        : base("akka.scheduler.implementation = \"Akka.TestKit.TestScheduler, Akka.TestKit\"")
    {
    }

    private long Verdict(IActorRef gate, string user, double perSecond, double burst)
    {
        long correlation = Random.Shared.NextInt64();
        gate.Tell(new UserTake(user, correlation, perSecond, burst));
        UserVerdict verdict = ExpectMsg<UserVerdict>();
        Assert.Equal(correlation, verdict.Correlation);
        return verdict.RetryAfterMs;
    }

    [Fact]
    public void A_users_bucket_refills_at_its_rate_and_other_users_have_their_own()
    {
        long now = 0;
        IActorRef budgets = Sys.ActorOf(UserBudgets.Props(() => now));
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(0, Verdict(budgets, "ann", 2, 3));
        }

        Assert.Equal(500, Verdict(budgets, "ann", 2, 3)); // one token every 500 ms
        Assert.Equal(0, Verdict(budgets, "bob", 2, 3));
        now += 499;
        Assert.Equal(1, Verdict(budgets, "ann", 2, 3));
        now += 1;
        Assert.Equal(0, Verdict(budgets, "ann", 2, 3));
    }

    [Fact]
    public void A_check_the_group_does_not_answer_lets_the_publish_through_and_is_counted()
    {
        var metrics = new ServerMetrics();
        var silent = CreateTestProbe();
        IActorRef gate = Sys.ActorOf(UserLimitsGate.Props(silent, metrics));
        gate.Tell(new UserTake("ann", 7, 1, 1));
        gate.Tell(new UserTake("ann", 8, 1, 1));
        silent.ExpectMsg<UserTake>();
        UserTake second = silent.ExpectMsg<UserTake>();
        ExpectNoMsg(TimeSpan.FromMilliseconds(50));

        // The second is answered (refused) before the first times out: answers stay in the order asked.
        silent.Reply(new UserVerdict(second.Correlation, 900));
        Assert.Equal(new UserVerdict(8, 900), ExpectMsg<UserVerdict>());
        ((TestScheduler)Sys.Scheduler).Advance(UserLimitsGate.Timeout + TimeSpan.FromMilliseconds(500));
        Assert.Equal(new UserVerdict(7, 0), ExpectMsg<UserVerdict>());
        Assert.Equal(1, metrics.UserLimitUnanswered.Value);
    }
}

/// <summary>A user's budget is one across two nodes of a cluster: what one node's connections spend the other's cannot.</summary>
public sealed class ClusterUserLimitsTests : TestKit
{
    private readonly ActorSystem _nodeB;

    public ClusterUserLimitsTests()
        : base(ClusterTopicBackendTests.NodeConfig)
    {
        _nodeB = ActorSystem.Create(Sys.Name, ConfigurationFactory.ParseString(ClusterTopicBackendTests.NodeConfig));
        var a = Akka.Cluster.Cluster.Get(Sys);
        var b = Akka.Cluster.Cluster.Get(_nodeB);
        a.Join(a.SelfAddress);
        b.Join(a.SelfAddress);
        AwaitCondition(() => new[] { a, b }.All(node => node.State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up) == 2), TimeSpan.FromSeconds(20));
    }

    protected override void AfterAll()
    {
        _nodeB.Terminate().Wait(TimeSpan.FromSeconds(10));
        base.AfterAll();
    }

    private long Verdict(IActorRef gate, string user)
    {
        gate.Tell(new UserTake(user, 1, 0.001, 5)); // a token every 1,000 s: none comes back during the test
        return ExpectMsg<UserVerdict>(TimeSpan.FromSeconds(15)).RetryAfterMs;
    }

    [Fact]
    public void Connections_of_one_user_on_two_nodes_share_one_budget()
    {
        IActorRef gateA = Sys.ActorOf(UserLimitsGate.Props(UserBudgets.StartRegion(Sys)));
        IActorRef gateB = _nodeB.ActorOf(UserLimitsGate.Props(UserBudgets.StartRegion(_nodeB)));
        foreach (string user in new[] { "ann", "bob", "carol", "dave" })
        {
            // Three on A, two on B: the burst of five, spent together.
            Assert.Equal([0L, 0L, 0L], new[] { Verdict(gateA, user), Verdict(gateA, user), Verdict(gateA, user) });
            Assert.Equal([0L, 0L], new[] { Verdict(gateB, user), Verdict(gateB, user) });
            Assert.True(Verdict(gateB, user) > 0, user + " had a sixth token on B");
            Assert.True(Verdict(gateA, user) > 0, user + " had a sixth token on A");
        }

        var serializer = (Akka.Serialization.SerializerWithStringManifest)Sys.Serialization.FindSerializerForType(typeof(UserTake));
        var take = new UserTake("ann é", 42, 0.5, 10);
        Assert.Equal(take, serializer.FromBinary(serializer.ToBinary(take), serializer.Manifest(take)));
        var verdict = new UserVerdict(42, 1500);
        Assert.Equal(verdict, serializer.FromBinary(serializer.ToBinary(verdict), serializer.Manifest(verdict)));
    }
}
