using System.Diagnostics;
using System.Text.Json;
using ActorSocket.Client;

namespace ActorSocket.Gateway.Tests.Faults;

/// <summary>
/// The clients of a fault run on one topic with history: two subscribers per node and publishers on
/// some nodes, each a .NET client given every node's URL (its own first). Everything they do goes
/// into <see cref="History"/>; the run also notes the close codes the clients were given and, per
/// subscriber, the longest time it went without a message (how long the fault kept it unserved).
/// </summary>
internal sealed class FaultRun : IAsyncDisposable
{
    /// <summary>The daemon arguments that give the namespace <c>f</c> a history of 100,000 messages and 64 MiB, more than any run publishes.</summary>
    public static readonly string[] Namespace = ["--set", "actorsocket.pubsub.namespaces.f { history { size = 100000, max-bytes = 67108864 } }"];

    /// <summary>The daemon arguments that make the namespace <c>f</c>'s history durable in the PostgreSQL database at <paramref name="connectionString"/>.</summary>
    public static string[] DurableNamespace(string connectionString) =>
    [
        "--set", "actorsocket.pubsub.namespaces.f { history { size = 100000, max-bytes = 67108864, durable = on } }",
        "--set", "actorsocket.history-store.provider = postgresql",
        "--set", "actorsocket.history-store.connection-string = \"" + connectionString + "\"",
        "--set", "actorsocket.history-store.timeout = 3s",
        "--set", "actorsocket.history-store.retry = 500ms",
    ];

    private readonly List<ActorSocketClient> _clients = [];
    private readonly List<Task> _reading = [];
    private readonly List<(ActorSocketClient Client, string Name)> _publishers = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _publishing = [];
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (TimeSpan Last, TimeSpan LongestGap)> _gaps = [];
    private readonly List<(string Client, int Code)> _closes = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _published;

    private FaultRun(string topic) => Topic = topic;

    /// <summary>The topic the run publishes on, in the namespace <c>f</c>, which keeps a long history (<see cref="Namespace"/>).</summary>
    public string Topic { get; }

    public OperationHistory History { get; } = new();

    public List<string> Subscribers { get; } = [];

    /// <summary>Publishes so far, over every publisher.</summary>
    public int Published => Volatile.Read(ref _published);

    /// <summary>Client options for a client of node <paramref name="first"/>: every node's URL, its own first, quick reconnects.</summary>
    public static ActorSocketClientOptions Options(ClusterNode[] nodes, int first)
    {
        var options = new ActorSocketClientOptions { ReconnectFloor = TimeSpan.FromMilliseconds(50), ReconnectCap = TimeSpan.FromSeconds(1), RequestTimeout = TimeSpan.FromSeconds(20) };
        for (int i = 0; i < nodes.Length; i++)
        {
            options.Urls.Add(new Uri(nodes[(first + i) % nodes.Length].Url + "/pubsub"));
        }

        return options;
    }

    /// <summary>A run with two subscribers on every node (<c>s0a</c>, <c>s0b</c>, ...) and a publisher on each of <paramref name="publisherNodes"/> (<c>p0</c>, ...).</summary>
    public static async Task<FaultRun> StartAsync(ClusterNode[] nodes, string topic, params int[] publisherNodes)
    {
        var run = new FaultRun(topic);
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

    public async Task SubscribeAsync(ClusterNode[] nodes, int node, string name)
    {
        ActorSocketClient client = await ConnectAsync(nodes, node, name);
        Subscription subscription = await client.SubscribeAsync(Topic);
        subscription.Resubscribed += (_, recovered) => History.Resubscribed(name, Topic, recovered);
        Subscribers.Add(name);
        Seen(name);
        _reading.Add(Task.Run(async () =>
        {
            await foreach (ClientMessage message in subscription)
            {
                History.Received(name, Topic, message.Offset, message.Data.GetProperty("p").GetString()!, message.Data.GetProperty("s").GetInt32());
                Seen(name);
            }
        }));
    }

    /// <summary>
    /// A topic of the namespace <c>f</c> whose owner (created here by a first publish, before any
    /// run subscribes) is on a node <paramref name="wanted"/> accepts, and that node.
    /// </summary>
    public static async Task<(string Topic, int Owner)> TopicOwnedAsync(ClusterNode[] nodes, Func<int, bool> wanted)
    {
        await using var probe = new ActorSocketClient(Options(nodes, 0));
        await probe.ConnectAsync();
        for (int attempt = 1; attempt <= 30; attempt++)
        {
            string topic = "f:faults-" + attempt.ToString(System.Globalization.CultureInfo.InvariantCulture);
            double[] before = await Task.WhenAll(nodes.Select(node => node.MetricAsync("actorsocket_topic_owners")));
            await probe.PublishAsync(topic, JsonSerializer.SerializeToElement(new Dictionary<string, object> { ["p"] = "probe", ["s"] = 1 }));
            double[] after = await Task.WhenAll(nodes.Select(node => node.MetricAsync("actorsocket_topic_owners")));
            int owner = Enumerable.Range(0, nodes.Length).Single(node => after[node] > before[node]);
            if (wanted(owner))
            {
                return (topic, owner);
            }
        }

        throw new InvalidOperationException("no topic of 30 has its owner where wanted");
    }

    public async Task AddPublisherAsync(ClusterNode[] nodes, int node, string name) =>
        _publishers.Add((await ConnectAsync(nodes, node, name), name));

    /// <summary>
    /// Every publisher publishes, one message after the other (each waits for its answer), until
    /// <see cref="StopPublishingAsync"/>; at most one every <paramref name="pace"/> each when given
    /// (a run that lasts minutes must stay within the history's 100,000 messages).
    /// </summary>
    public void StartPublishing(TimeSpan? pace = null)
    {
        foreach ((ActorSocketClient client, string name) in _publishers)
        {
            _publishing.Add(Task.Run(async () =>
            {
                using PeriodicTimer? ticks = pace is { } every ? new PeriodicTimer(every) : null;
                for (int sequence = 1; !_stop.IsCancellationRequested; sequence++)
                {
                    if (ticks is not null && !await ticks.WaitForNextTickAsync(CancellationToken.None))
                    {
                        break;
                    }

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
        await EventuallyAsync(() => Published >= target, target + " publishes", TimeSpan.FromMinutes(1));
    }

    /// <summary>Polls <paramref name="condition"/> every 50 ms until it holds; fails after <paramref name="timeout"/>.</summary>
    public static async Task EventuallyAsync(Func<bool> condition, string what, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < timeout, what + " did not happen in " + timeout);
            await Task.Delay(50);
        }
    }

    public async Task StopPublishingAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_publishing);
    }

    /// <summary>
    /// Checks the history until it holds (every subscriber has what it is owed: the last messages
    /// may still be on their way), or a minute has passed; the violations of the last check.
    /// </summary>
    public async Task<IReadOnlyList<string>> SettleAndCheckAsync()
    {
        var deadline = Stopwatch.StartNew();
        IReadOnlyList<string> violations = History.Check(Topic, Subscribers);
        while (violations.Count > 0 && deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(100);
            violations = History.Check(Topic, Subscribers);
        }

        return violations;
    }

    /// <summary>The close codes clients were given, by client name (a client that lost its connection without a close frame is not listed).</summary>
    public IReadOnlyList<(string Client, int Code)> Closes
    {
        get
        {
            lock (_lock)
            {
                return [.. _closes];
            }
        }
    }

    /// <summary>The longest time any of <paramref name="subscribers"/> went without a message, from its subscribe to now.</summary>
    public TimeSpan LongestGap(IEnumerable<string> subscribers)
    {
        lock (_lock)
        {
            TimeSpan now = _clock.Elapsed;
            return subscribers.Select(s => _gaps[s]).Select(g => g.LongestGap > now - g.Last ? g.LongestGap : now - g.Last).DefaultIfEmpty().Max();
        }
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

    private async Task<ActorSocketClient> ConnectAsync(ClusterNode[] nodes, int node, string name)
    {
        var client = new ActorSocketClient(Options(nodes, node));
        _clients.Add(client);
        client.StateChanged += change =>
        {
            if (change.CloseCode is { } code)
            {
                lock (_lock)
                {
                    _closes.Add((name, code));
                }
            }
        };
        await client.ConnectAsync();
        return client;
    }

    private void Seen(string subscriber)
    {
        lock (_lock)
        {
            TimeSpan now = _clock.Elapsed;
            TimeSpan longest = _gaps.TryGetValue(subscriber, out (TimeSpan Last, TimeSpan LongestGap) gap) && now - gap.Last > gap.LongestGap ? now - gap.Last : gap.LongestGap;
            _gaps[subscriber] = (now, longest);
        }
    }
}
