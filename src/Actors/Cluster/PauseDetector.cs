using System.Diagnostics;

namespace ActorSocket.Actors.Cluster;

/// <summary>
/// Notices when the whole process stood still (SIGSTOP, a paused VM, a stop-the-world collection)
/// for longer than the cluster's failure detector tolerates. Meanwhile the other nodes may have
/// declared this one unreachable and removed it, while this node's own view of the cluster, frozen
/// with it, still says all is well: until its failure detector has caught up, that view must not
/// be trusted, and <c>/healthz</c> says so instead of answering 200 from it.
/// </summary>
/// <remarks>
/// A dedicated background thread (not the thread pool, whose starvation under load is not a pause)
/// observes the clock every <see cref="Interval"/>. The verdict is a pure function of the
/// observations (<see cref="Observe"/>, <see cref="Stale"/>), tested with a fake clock.
/// </remarks>
internal sealed class PauseDetector : IDisposable
{
    /// <summary>How often the watching thread observes the clock.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    private readonly TimeSpan _threshold;
    private readonly TimeSpan _settle;
    private readonly Lock _lock = new();
    private readonly Thread? _thread;
    private volatile bool _stopped;
    private TimeSpan _lastObserved;
    private TimeSpan? _pauseEnded;
    private TimeSpan _pauseLength;

    /// <param name="threshold">A gap between two observations longer than this is a pause (the failure detector's acceptable heartbeat pause: a shorter one alarms nobody).</param>
    /// <param name="settle">How long after a pause this node's view stays untrusted (long enough for its failure detector to have judged every member again).</param>
    /// <param name="now">The clock's reading now.</param>
    /// <param name="watch">Whether to start the watching thread (false in tests, which call <see cref="Observe"/>).</param>
    public PauseDetector(TimeSpan threshold, TimeSpan settle, TimeSpan now, bool watch = true)
    {
        _threshold = threshold;
        _settle = settle;
        _lastObserved = now;
        if (watch)
        {
            _thread = new Thread(Watch) { IsBackground = true, Name = "actorsocket-pause-detector" };
            _thread.Start();
        }
    }

    /// <summary>The process's monotonic clock.</summary>
    public static TimeSpan Now => Stopwatch.GetElapsedTime(0);

    /// <summary>An observation of the clock at <paramref name="now"/>: a gap since the last one longer than the threshold was a pause.</summary>
    public void Observe(TimeSpan now)
    {
        lock (_lock)
        {
            TimeSpan gap = now - _lastObserved;
            if (gap > _threshold)
            {
                _pauseEnded = now;
                _pauseLength = gap;
            }

            _lastObserved = now;
        }
    }

    /// <summary>
    /// At <paramref name="now"/>: null when this node's view of the cluster can be trusted; otherwise
    /// the length of the pause that makes it stale (the process is waking up from it, or woke up
    /// less than the settle time ago).
    /// </summary>
    public TimeSpan? Stale(TimeSpan now)
    {
        lock (_lock)
        {
            TimeSpan sinceObserved = now - _lastObserved;
            if (sinceObserved > _threshold)
            {
                return sinceObserved; // the watching thread has not run since: the process is just waking up
            }

            return _pauseEnded is { } ended && now - ended < _settle ? _pauseLength : null;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _stopped = true;
        _thread?.Join();
    }

    private void Watch()
    {
        while (!_stopped)
        {
            Thread.Sleep(Interval);
            Observe(Now);
        }
    }
}
