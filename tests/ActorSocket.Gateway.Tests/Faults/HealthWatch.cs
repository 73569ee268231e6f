using System.Diagnostics;
using System.Net.Sockets;

namespace ActorSocket.Gateway.Tests.Faults;

/// <summary>
/// Asks one node's <c>/healthz</c> every 100 ms from the moment it is started until disposed, and
/// keeps every change of answer with its time: a load balancer's view of the node during a fault.
/// An answer of 0 means none came (refused, reset, or no reply within the patience of
/// <see cref="RawClient"/>: the process is gone or frozen).
/// </summary>
internal sealed class HealthWatch : IAsyncDisposable
{
    private readonly ClusterNode _node;
    private readonly Stopwatch _clock;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly List<(TimeSpan At, int Status, string Member)> _changes = [];
    private readonly Task _watching;

    /// <param name="node">The node to ask.</param>
    /// <param name="clock">The run's clock: the times of the changes are read from it.</param>
    public HealthWatch(ClusterNode node, Stopwatch clock)
    {
        _node = node;
        _clock = clock;
        _watching = Task.Run(WatchAsync);
    }

    /// <summary>Every change of answer so far, in order: when, the status, the X-Cluster-Member header.</summary>
    public IReadOnlyList<(TimeSpan At, int Status, string Member)> Changes
    {
        get
        {
            lock (_lock)
            {
                return [.. _changes];
            }
        }
    }

    /// <summary>The first time at or after <paramref name="from"/> the node answered <paramref name="status"/>, if it did.</summary>
    public TimeSpan? First(int status, TimeSpan from) =>
        Changes.Where(c => c.Status == status && c.At >= from).Select(c => (TimeSpan?)c.At).FirstOrDefault();

    /// <summary>Whether the node answered 200 at any moment at or after <paramref name="from"/> (the answer it gave at that moment counts).</summary>
    public bool HealthySince(TimeSpan from)
    {
        IReadOnlyList<(TimeSpan At, int Status, string Member)> changes = Changes;
        int current = changes.Count(c => c.At <= from) - 1;
        return (current >= 0 && changes[current].Status == 200) || changes.Any(c => c.At > from && c.Status == 200);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _watching;
        _stop.Dispose();
    }

    private async Task WatchAsync()
    {
        (int Status, string Member) last = (-1, string.Empty);
        while (!_stop.IsCancellationRequested)
        {
            (int status, string member) = await AskAsync();
            if ((status, member) != last)
            {
                lock (_lock)
                {
                    _changes.Add((_clock.Elapsed, status, member));
                }

                last = (status, member);
            }

            try
            {
                await Task.Delay(100, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<(int, string)> AskAsync()
    {
        try
        {
            return await _node.HealthAsync();
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException or ArgumentOutOfRangeException or FormatException)
        {
            return (0, e.GetType().Name); // refused, reset, frozen, or an empty answer from a closing process
        }
    }
}
