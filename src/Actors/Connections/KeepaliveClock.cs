using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using ActorSocket.Actors.Transport;
using Akka.Actor;

namespace ActorSocket.Actors.Connections;

/// <summary>
/// The keepalive deadlines of every open connection in one table, checked by one timer: when a
/// connection's deadline (its next ping, or the end of its wait for a pong) has passed, its actor
/// is told <see cref="Due"/> and decides what is due from its own state. A connection costs a
/// 16-byte entry here instead of an Akka timer (scheduler registration, cancellation source, timer
/// message: about 550 bytes each).
/// </summary>
/// <remarks>
/// Deadlines fire up to one <see cref="Resolution"/> late: 1 s with the 20 s defaults (a 20 s
/// keepalive that pings at 20-21 s), finer with shorter intervals. One clock per actor system and
/// resolution, driven by that system's scheduler (so tests can move it with a test scheduler); it
/// is scheduled only while a connection is registered.
/// </remarks>
internal sealed class KeepaliveClock
{
    private static readonly ConditionalWeakTable<ActorSystem, ConcurrentDictionary<long, KeepaliveClock>> Clocks = new();

    private readonly SlotTable<Entry> _entries = new();
    private readonly object _timerGate = new();
    private readonly IScheduler _scheduler;
    private readonly bool _monotonic;
    private ICancelable? _timer;
    private int _scanning;

    private KeepaliveClock(IScheduler scheduler, TimeSpan resolution)
    {
        _scheduler = scheduler;
        _monotonic = scheduler is HashedWheelTimerScheduler;
        Resolution = resolution;
    }

    /// <summary>How late a deadline may fire.</summary>
    public TimeSpan Resolution { get; }

    /// <summary>
    /// The clock of <paramref name="system"/> for connections pinging every <paramref name="interval"/>
    /// with <paramref name="timeout"/> for the pong: its resolution is a twentieth of the shorter,
    /// between 10 ms (the scheduler's own tick) and 1 s.
    /// </summary>
    public static KeepaliveClock For(ActorSystem system, TimeSpan interval, TimeSpan timeout)
    {
        long ms = Math.Clamp((long)(Math.Min(interval.TotalMilliseconds, timeout.TotalMilliseconds) / 20), 10, 1000);
        ConcurrentDictionary<long, KeepaliveClock> clocks = Clocks.GetValue(system, static _ => new ConcurrentDictionary<long, KeepaliveClock>());
        return clocks.GetOrAdd(ms, static (ms, scheduler) => new KeepaliveClock(scheduler, TimeSpan.FromMilliseconds(ms)), system.Scheduler);
    }

    /// <summary>
    /// The time deadlines are given in, in milliseconds: Akka's monotonic clock, or with any other
    /// scheduler (a test's virtual-time scheduler) that scheduler's <see cref="ITimeProvider.Now"/>.
    /// </summary>
    public long Now => _monotonic ? (long)_scheduler.MonotonicClock.TotalMilliseconds : _scheduler.Now.UtcTicks / TimeSpan.TicksPerMillisecond;

    /// <summary>Registers a connection whose first deadline is <paramref name="due"/> (<see cref="Now"/> milliseconds).</summary>
    /// <returns>The slot to move the deadline with and to unregister.</returns>
    public int Register(IActorRef target, long due)
    {
        int slot = _entries.Add(new Entry(target, due));
        lock (_timerGate)
        {
            _timer ??= _scheduler.Advanced.ScheduleRepeatedlyCancelable(Resolution, Resolution, Scan);
        }

        return slot;
    }

    /// <summary>Moves the deadline of <paramref name="slot"/> (from the connection's own actor only).</summary>
    public void Set(int slot, long due) => Volatile.Write(ref _entries[slot].Due, due);

    /// <summary>Forgets a connection; its actor is told nothing more.</summary>
    public void Unregister(int slot) => _entries.Remove(slot);

    private void Scan()
    {
        if (Interlocked.Exchange(ref _scanning, 1) == 1)
        {
            return; // the previous scan is still running (a machine under heavy load)
        }

        try
        {
            if (_entries.Count == 0)
            {
                lock (_timerGate)
                {
                    if (_entries.Count == 0)
                    {
                        _timer?.Cancel();
                        _timer = null;
                        return;
                    }
                }
            }

            long now = Now;
            foreach (Entry[] chunk in _entries.Chunks)
            {
                for (int i = 0; i < chunk.Length; i++)
                {
                    ref Entry entry = ref chunk[i];
                    long due = Volatile.Read(ref entry.Due);

                    // Once: the actor sets its next deadline when it handles Due. A deadline the actor
                    // moved meanwhile is left alone (the exchange fails).
                    if (due <= now && Volatile.Read(ref entry.Target) is { } target && Interlocked.CompareExchange(ref entry.Due, long.MaxValue, due) == due)
                    {
                        target.Tell(Due.Instance, ActorRefs.NoSender);
                    }
                }
            }
        }
        finally
        {
            Volatile.Write(ref _scanning, 0);
        }
    }

    /// <summary>Told to a connection actor when its keepalive deadline has passed.</summary>
    internal sealed class Due : Akka.Event.IDeadLetterSuppression
    {
        /// <summary>The single instance: the actor knows what it was waiting for.</summary>
        public static readonly Due Instance = new();

        private Due()
        {
        }
    }

    private struct Entry(IActorRef target, long due)
    {
        public IActorRef? Target = target;
        public long Due = due;
    }
}
