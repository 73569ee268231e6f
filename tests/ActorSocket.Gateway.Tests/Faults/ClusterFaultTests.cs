using System.Diagnostics;
using System.Text.Json;
using ActorSocket.Client;

namespace ActorSocket.Gateway.Tests.Faults;

/// <summary>
/// Faults on three daemons with .NET clients publishing and subscribing on every node, checked by
/// <see cref="OperationHistory"/>: a pause shorter than the resolver's stable-after removes nobody
/// and loses nothing; a node killed with -9 moves its clients to the others, which recover exactly
/// what they missed.
/// </summary>
[Collection(nameof(ClusterTests))]
public sealed class ClusterFaultTests
{
    private const string Topic = "f:faults";
    private static readonly string[] Namespace = ["--set", "actorsocket.pubsub.namespaces.f { history.size = 100000 }"];

    /// <summary>The clients of a run: two subscribers per node, a publisher on each of some nodes.</summary>
    private sealed class Run : IAsyncDisposable
    {
        private readonly List<ActorSocketClient> _clients = [];
        private readonly List<Task> _reading = [];
        private readonly List<(ActorSocketClient Client, string Name)> _publishers = [];
        private readonly CancellationTokenSource _stop = new();
        private readonly List<Task> _publishing = [];
        private int _published;

        public OperationHistory History { get; } = new();

        public List<string> Subscribers { get; } = [];

        /// <summary>Publishes so far, over every publisher.</summary>
        public int Published => Volatile.Read(ref _published);

        public static ActorSocketClientOptions Options(ClusterNode[] nodes, int first)
        {
            var options = new ActorSocketClientOptions { ReconnectFloor = TimeSpan.FromMilliseconds(50), ReconnectCap = TimeSpan.FromSeconds(1), RequestTimeout = TimeSpan.FromSeconds(20) };
            for (int i = 0; i < nodes.Length; i++)
            {
                options.Urls.Add(new Uri(nodes[(first + i) % nodes.Length].Url + "/pubsub")); // its own node first, then the others
            }

            return options;
        }

        public async Task SubscribeAsync(ClusterNode[] nodes, int node, string name)
        {
            var client = new ActorSocketClient(Options(nodes, node));
            _clients.Add(client);
            await client.ConnectAsync();
            Subscription subscription = await client.SubscribeAsync(Topic);
            subscription.Resubscribed += (_, recovered) => History.Resubscribed(name, Topic, recovered);
            Subscribers.Add(name);
            _reading.Add(Task.Run(async () =>
            {
                await foreach (ClientMessage message in subscription)
                {
                    History.Received(name, Topic, message.Offset, message.Data.GetProperty("p").GetString()!, message.Data.GetProperty("s").GetInt32());
                }
            }));
        }

        public async Task AddPublisherAsync(ClusterNode[] nodes, int node, string name)
        {
            var client = new ActorSocketClient(Options(nodes, node));
            _clients.Add(client);
            await client.ConnectAsync();
            _publishers.Add((client, name));
        }

        /// <summary>Every publisher publishes, one message after the other (each waits for its answer), until <see cref="StopPublishingAsync"/>.</summary>
        public void StartPublishing()
        {
            foreach ((ActorSocketClient client, string name) in _publishers)
            {
                _publishing.Add(Task.Run(async () =>
                {
                    for (int sequence = 1; !_stop.IsCancellationRequested; sequence++)
                    {
                        JsonElement data = JsonSerializer.SerializeToElement(new Dictionary<string, object> { ["p"] = name, ["s"] = sequence });
                        try
                        {
                            await client.PublishAsync(Topic, data);
                            History.Published(name, Topic, sequence, acknowledged: true);
                        }
                        catch (ActorSocketException)
                        {
                            History.Published(name, Topic, sequence, acknowledged: false); // refused or in doubt: not owed
                        }

                        Interlocked.Increment(ref _published);
                    }
                }));
            }
        }

        /// <summary>Waits until <paramref name="count"/> more publishes were made (acknowledged or not), within a minute.</summary>
        public async Task PublishedAtLeastAsync(int count)
        {
            int target = Published + count;
            await PubSubTests.EventuallyAsync(() => Published >= target, target + " publishes");
        }

        public async Task StopPublishingAsync()
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_publishing);
        }

        /// <summary>Waits until every subscriber has received every acknowledged publish (or a minute passed), then checks the history.</summary>
        public async Task<IReadOnlyList<string>> SettleAndCheckAsync()
        {
            int acknowledged = History.AcknowledgedCount(Topic);
            var deadline = Stopwatch.StartNew();
            while (Subscribers.Any(s => History.ReceivedCount(s, Topic) < acknowledged) && deadline.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(50);
            }

            return History.Check(Topic, Subscribers);
        }

        public async ValueTask DisposeAsync()
        {
            if (!_stop.IsCancellationRequested)
            {
                await StopPublishingAsync();
            }

            foreach (ActorSocketClient client in _clients)
            {
                await client.DisposeAsync();
            }

            await Task.WhenAll(_reading);
            _stop.Dispose();
        }
    }

    private static async Task<Run> StartRunAsync(ClusterNode[] nodes, params int[] publisherNodes)
    {
        var run = new Run();
        for (int node = 0; node < nodes.Length; node++)
        {
            await run.SubscribeAsync(nodes, node, "s" + node + "a");
            await run.SubscribeAsync(nodes, node, "s" + node + "b");
        }

        foreach (int node in publisherNodes)
        {
            await run.AddPublisherAsync(nodes, node, "p" + node);
        }

        return run;
    }

    [Fact]
    public async Task A_pause_shorter_than_stable_after_removes_nobody_and_loses_nothing()
    {
        ClusterNode[] nodes = await ClusterNode.StartThreeAsync(Namespace); // stable-after: 20 s (the default)
        try
        {
            await using Run run = await StartRunAsync(nodes, 0, 1);
            run.StartPublishing();
            await run.PublishedAtLeastAsync(300);

            // Node 3 stops for 5 s (a long GC pause, a stalled VM), then goes on.
            await nodes[2].FreezeAsync();
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(5)); // the fault's length, not a wait for something
            }
            finally
            {
                await nodes[2].ThawAsync();
            }

            await run.PublishedAtLeastAsync(300);
            await run.StopPublishingAsync();
            Assert.Empty(await run.SettleAndCheckAsync());
            foreach (ClusterNode node in nodes)
            {
                await node.WaitUntilMemberAsync(3, TimeSpan.FromSeconds(30)); // nobody was removed
            }
        }
        finally
        {
            await nodes[2].ThawAsync();
            await Task.WhenAll(nodes.Select(node => node.DisposeAsync().AsTask()));
        }
    }

    [Fact]
    public async Task A_node_killed_during_a_burst_moves_its_clients_to_the_others_which_recover_exactly_what_they_missed()
    {
        ClusterNode[] nodes = await ClusterNode.StartThreeAsync([.. Namespace, "--set", "akka.cluster.split-brain-resolver.stable-after = 3s"]);
        try
        {
            await using Run run = await StartRunAsync(nodes);

            // The victim is a node that does not hold the topic's owner (the owner's death is a new epoch: recovered false).
            var probe = new ActorSocketClient(Run.Options(nodes, 0));
            await probe.ConnectAsync();
            await probe.PublishAsync(Topic, JsonSerializer.SerializeToElement(new Dictionary<string, object> { ["p"] = "probe", ["s"] = 1 }));
            run.History.Published("probe", Topic, 1, acknowledged: true);
            await probe.DisposeAsync();
            double[] owners = await Task.WhenAll(nodes.Select(node => node.MetricAsync("actorsocket_topic_owners")));
            int victim = Array.FindIndex(owners, count => count == 0);
            Assert.True(victim >= 0, "every node holds an owner: " + string.Join(",", owners));
            int[] survivors = [.. Enumerable.Range(0, 3).Where(node => node != victim)];
            foreach (int node in survivors)
            {
                await run.AddPublisherAsync(nodes, node, "p" + node);
            }

            run.StartPublishing();
            await run.PublishedAtLeastAsync(300);
            await nodes[victim].KillAsync();
            await run.PublishedAtLeastAsync(600);
            await run.StopPublishingAsync();

            Assert.Empty(await run.SettleAndCheckAsync());
            foreach (string moved in new[] { "s" + victim + "a", "s" + victim + "b" })
            {
                Assert.Contains(true, run.History.Resubscribes(moved, Topic)); // reconnected to another node and recovered
            }
        }
        finally
        {
            await Task.WhenAll(nodes.Select(node => node.DisposeAsync().AsTask()));
        }
    }
}
