using ActorSocket.Actors.Connections;
using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;

namespace ActorSocket.Actors.Tests.Connections;

/// <summary>The shared keepalive clock, with time driven by a test scheduler.</summary>
public class KeepaliveClockTests : TestKit
{
    public KeepaliveClockTests()
        : base("akka.scheduler.implementation = \"Akka.TestKit.TestScheduler, Akka.TestKit\"")
    {
    }

    private TestScheduler Scheduler => (TestScheduler)Sys.Scheduler;

    /// <summary>Proves that nothing was told to <paramref name="probe"/> before now: a marker sent now is the next message.</summary>
    private static void ExpectNothingBefore(TestProbe probe)
    {
        probe.Ref.Tell("marker");
        probe.ExpectMsg("marker");
    }

    [Theory]
    [InlineData(20_000, 20_000, 1000)] // the defaults: a twentieth of 20 s
    [InlineData(2_000, 30_000, 100)] // the shorter of the two decides
    [InlineData(100, 2_000, 10)] // never finer than the scheduler's 10 ms tick
    [InlineData(600_000, 600_000, 1000)] // never coarser than 1 s
    public void The_resolution_is_a_twentieth_of_the_shorter_interval_within_10_ms_and_1_s(int intervalMs, int timeoutMs, int expectedMs)
    {
        KeepaliveClock clock = KeepaliveClock.For(Sys, TimeSpan.FromMilliseconds(intervalMs), TimeSpan.FromMilliseconds(timeoutMs));
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), clock.Resolution);
        Assert.Same(clock, KeepaliveClock.For(Sys, TimeSpan.FromMilliseconds(intervalMs), TimeSpan.FromMilliseconds(timeoutMs)));
    }

    [Fact]
    public void A_deadline_is_told_once_when_it_has_passed_and_not_before()
    {
        KeepaliveClock clock = KeepaliveClock.For(Sys, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2));
        var probe = CreateTestProbe();
        int slot = clock.Register(probe.Ref, clock.Now + 1000);

        Scheduler.Advance(TimeSpan.FromMilliseconds(900));
        ExpectNothingBefore(probe);

        Scheduler.Advance(TimeSpan.FromMilliseconds(100));
        probe.ExpectMsg<KeepaliveClock.Due>();

        // Told once: the next Due needs a new deadline from the connection.
        Scheduler.Advance(TimeSpan.FromSeconds(5));
        ExpectNothingBefore(probe);

        clock.Set(slot, clock.Now + 200);
        Scheduler.Advance(TimeSpan.FromMilliseconds(200));
        probe.ExpectMsg<KeepaliveClock.Due>();
        clock.Unregister(slot);
    }

    [Fact]
    public void A_moved_deadline_replaces_the_old_one()
    {
        KeepaliveClock clock = KeepaliveClock.For(Sys, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2));
        var probe = CreateTestProbe();
        int slot = clock.Register(probe.Ref, clock.Now + 100);
        clock.Set(slot, clock.Now + 1000); // a pong arrived: the next ping is later

        Scheduler.Advance(TimeSpan.FromMilliseconds(500));
        ExpectNothingBefore(probe);

        Scheduler.Advance(TimeSpan.FromMilliseconds(500));
        probe.ExpectMsg<KeepaliveClock.Due>();
        clock.Unregister(slot);
    }

    [Fact]
    public void An_unregistered_connection_is_told_nothing_and_its_slot_serves_the_next()
    {
        KeepaliveClock clock = KeepaliveClock.For(Sys, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2));
        var gone = CreateTestProbe();
        var next = CreateTestProbe();
        int slot = clock.Register(gone.Ref, clock.Now + 100);
        clock.Unregister(slot);
        int reused = clock.Register(next.Ref, clock.Now + 300);
        Assert.Equal(slot, reused);

        Scheduler.Advance(TimeSpan.FromMilliseconds(300));
        next.ExpectMsg<KeepaliveClock.Due>();
        ExpectNothingBefore(gone);
        clock.Unregister(reused);
    }

    [Fact]
    public void Many_connections_each_get_their_own_deadline()
    {
        KeepaliveClock clock = KeepaliveClock.For(Sys, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2));
        var early = CreateTestProbe();
        var late = CreateTestProbe();

        // More connections than one chunk of the table holds: the scan covers every chunk.
        var slots = new List<int>();
        for (int i = 0; i < 5000; i++)
        {
            slots.Add(clock.Register(ActorRefs.Nobody, long.MaxValue - 1));
        }

        int earlySlot = clock.Register(early.Ref, clock.Now + 100);
        int lateSlot = clock.Register(late.Ref, clock.Now + 1000);
        Assert.True(lateSlot >= 4096, "the last registration lives in the table's second chunk");

        Scheduler.Advance(TimeSpan.FromMilliseconds(100));
        early.ExpectMsg<KeepaliveClock.Due>();
        ExpectNothingBefore(late);

        Scheduler.Advance(TimeSpan.FromMilliseconds(900));
        late.ExpectMsg<KeepaliveClock.Due>();

        clock.Unregister(earlySlot);
        clock.Unregister(lateSlot);
        slots.ForEach(clock.Unregister);
    }
}
