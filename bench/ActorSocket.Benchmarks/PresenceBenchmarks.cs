using ActorSocket.Actors.Metrics;
using ActorSocket.Actors.Topics;
using Akka.Actor;
using BenchmarkDotNet.Attributes;

namespace ActorSocket.Benchmarks;

/// <summary>
/// What presence costs per present client, beyond its subscription: a topic's entries for 1,000
/// clients of 500 users (the entry as the /pubsub handler makes it, the topic's table and the count
/// per user), and the answers to presence-stats and presence on it. The allocation per operation,
/// divided by 1,000, is the memory of one entry.
/// </summary>
[MemoryDiagnoser]
public class PresenceBenchmarks
{
    private const int Clients = 1000;
    private readonly NamespaceSettings _space = new() { Name = "room", Presence = true };
    private readonly ServerMetrics _metrics = new();
    private ActorSystem? _system;
    private IActorRef[] _subscribers = [];
    private TopicPresence? _full;

    [GlobalSetup]
    public void Setup()
    {
        _system = ActorSystem.Create("presence-bench", "akka.loglevel = ERROR");
        _subscribers = [.. Enumerable.Range(0, Clients).Select(i => _system.ActorOf(Props.Empty, "s" + i))];
        _full = Fill();

        // What stays allocated per entry (the transient garbage of growing tables aside).
        long before = GC.GetTotalMemory(forceFullCollection: true);
        TopicPresence kept = Fill();
        long after = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine("// retained bytes per present client: " + ((after - before) / (double)Clients).ToString("F0", System.Globalization.CultureInfo.InvariantCulture));
        GC.KeepAlive(kept);
    }

    [GlobalCleanup]
    public void Cleanup() => _system?.Terminate().Wait(TimeSpan.FromSeconds(10));

    /// <summary>1,000 clients join one topic (no join-leave frames): the entries' memory.</summary>
    [Benchmark]
    public int Join1000() => Fill().Count;

    /// <summary>The counts of a topic with 1,000 present clients.</summary>
    [Benchmark]
    public int Stats() => _full!.EncodeStats("1"u8).Length;

    /// <summary>The full list of a topic with 1,000 present clients.</summary>
    [Benchmark]
    public int List() => _full!.EncodePresence("1"u8).Length;

    private TopicPresence Fill()
    {
        var presence = new TopicPresence("room:bench", _space, _metrics);
        for (int i = 0; i < Clients; i++)
        {
            var entry = new PresenceEntry("9f3a1c07-" + (100000 + i), "user" + (i % 500), default);
            presence.Join(_subscribers[i], entry, []);
        }

        return presence;
    }
}
