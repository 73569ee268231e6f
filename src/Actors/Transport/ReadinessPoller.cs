using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Dispatch;

namespace ActorSocket.Actors.Transport;

/// <summary>
/// Linux only: an epoll instance and the thread that waits on it, telling a plain connection's actor
/// when its socket has data (<see cref="ReadReady"/>); the actor then reads it itself, without
/// waiting. An idle connection therefore costs nothing here but one slot in a table: no pending
/// receive, no socket event args, no async state machine (about 1.2 KB each with .NET's asynchronous
/// receive, which the other platforms and TLS keep using through <see cref="AsyncReader"/>).
/// </summary>
/// <remarks>
/// <para>
/// Edge-triggered: the kernel reports each arrival of data once, so a reader takes everything there
/// is (a short read means the socket was emptied) or asks again later.
/// </para>
/// <para>
/// A poller is also an event loop (<see cref="Loop"/>): the executor of a dispatcher
/// (<see cref="Dispatch.EventLoopExecutorConfigurator"/>) whose actors then run on the poller's own
/// thread, between two waits. A connection actor on a loop registers its socket with that loop, so
/// the data's arrival, the read, the decoding, a topic's fan-out to the loop's other connections and
/// their sends happen on one thread without waking another one, as in a single-threaded C server;
/// work from other threads wakes the loop through an eventfd only when it sleeps. The
/// <see cref="Shared"/> poller runs no actors: it only tells them.
/// </para>
/// </remarks>
internal sealed class ReadinessPoller
{
    private const int EpollCtlAdd = 1;
    private const uint EpollIn = 0x001;
    private const uint EpollRdHup = 0x2000;
    private const uint EpollEt = 0x80000000;
    private const int EpollCloexec = 0x80000;
    private const int EfdNonblock = 0x800;
    private const int EfdCloexec = 0x80000;
    private const int Eintr = 4;
    private const int BatchSize = 512;

    // The registration data of the loop's wake-up eventfd: beyond any slot.
    private const ulong WakeData = ulong.MaxValue;

    private static readonly Lazy<ReadinessPoller?> SharedPoller = new(CreateShared, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly object LoopsLock = new();
    private static ReadinessPoller?[] s_loops = [];

    [ThreadStatic]
    private static ReadinessPoller? s_current;

    private readonly int _epoll;
    private readonly int _eventSize;
    private readonly int _dataOffset;
    private readonly SlotTable<IActorRef?> _targets = new();

    // Work for the loop's thread: what it queued itself (no lock), and what other threads queued.
    private readonly Queue<IRunnable> _local = new();
    private readonly ConcurrentQueue<IRunnable> _remote = new();
    private readonly int _wakeFd = -1;
    private int _sleeping;

    private ReadinessPoller(int epoll, int eventSize, int dataOffset, int wakeFd, string name)
    {
        _epoll = epoll;
        _eventSize = eventSize;
        _dataOffset = dataOffset;
        _wakeFd = wakeFd;
        var thread = new Thread(Run) { IsBackground = true, Name = name };
        thread.Start();
    }

    /// <summary>Told to a connection actor when its socket has data (or an end) to read.</summary>
    internal sealed class ReadReady : ReadSignal, Akka.Event.IDeadLetterSuppression
    {
        /// <summary>The single instance: the message carries nothing, the actor knows its socket.</summary>
        public static readonly ReadReady Instance = new();

        private ReadReady()
        {
        }
    }

    /// <summary>
    /// The process's poller that runs no actors, or null where there is none (not Linux, or an
    /// unknown <c>epoll_event</c> layout): connections then read through <see cref="AsyncReader"/>.
    /// </summary>
    public static ReadinessPoller? Shared => SharedPoller.Value;

    /// <summary>Why there is no poller, for the log; null when there is one.</summary>
    public static string? Unavailable { get; private set; }

    /// <summary>Why the last event loop asked for could not be made; null when it was.</summary>
    public static string? LoopUnavailable { get; private set; }

    /// <summary>The event loop whose thread calls this, or null on any other thread.</summary>
    public static ReadinessPoller? Current => s_current;

    /// <summary>
    /// Event loop number <paramref name="index"/>, started on first use and kept for the process's
    /// life (as <see cref="Shared"/> is); null where there is no epoll.
    /// </summary>
    public static ReadinessPoller? Loop(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ReadinessPoller?[] loops = Volatile.Read(ref s_loops);
        if (index < loops.Length && loops[index] is { } loop)
        {
            return loop;
        }

        lock (LoopsLock)
        {
            if (index >= s_loops.Length)
            {
                Array.Resize(ref s_loops, index + 1);
            }

            if (s_loops[index] is null)
            {
                s_loops[index] = Create("actorsocket-loop-" + index.ToString(System.Globalization.CultureInfo.InvariantCulture), runsWork: true, out string? problem);
                LoopUnavailable = problem;
            }

            return s_loops[index];
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> on the loop's thread: after what it is doing now when called
    /// from that thread, otherwise as soon as the loop wakes (an eventfd write wakes it only when it
    /// sleeps).
    /// </summary>
    public void Execute(IRunnable work)
    {
        if (s_current == this)
        {
            _local.Enqueue(work);
            return;
        }

        _remote.Enqueue(work);

        // The loop sets _sleeping (a full fence) before it looks at _remote one last time and waits.
        if (Volatile.Read(ref _sleeping) != 0 && Interlocked.Exchange(ref _sleeping, 0) != 0)
        {
            ulong one = 1;
            Native.write(_wakeFd, ref one, sizeof(ulong));
        }
    }

    /// <summary>Registers a socket descriptor; its readiness is told to <paramref name="target"/> until <see cref="Unregister"/>.</summary>
    /// <returns>The registration token to unregister with.</returns>
    public int Register(int fd, IActorRef target)
    {
        int slot = _targets.Add(target);

        // A stale event for a slot already reused only costs its new owner one empty read.
        Span<byte> ev = stackalloc byte[16];
        ev.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(ev, EpollIn | EpollRdHup | EpollEt);
        BinaryPrimitives.WriteUInt64LittleEndian(ev[_dataOffset..], (uint)slot);
        if (Native.epoll_ctl(_epoll, EpollCtlAdd, fd, ref MemoryMarshal.GetReference(ev)) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            _targets.Remove(slot);
            throw new System.Net.Sockets.SocketException((int)Native.ToSocketError(errno), "epoll_ctl failed: errno " + errno);
        }

        return slot;
    }

    /// <summary>Stops telling the registration's actor; call before the socket is closed (closing removes it from epoll).</summary>
    public void Unregister(int token) => _targets.Remove(token);

    private void Run()
    {
        s_current = _wakeFd >= 0 ? this : null;
        byte[] events = new byte[BatchSize * _eventSize];
        while (true)
        {
            int timeout = 0;
            if (!RunQueued())
            {
                // Nothing to do: announce the sleep, then look at the other threads' queue once more.
                Interlocked.Exchange(ref _sleeping, 1);
                if (_remote.IsEmpty)
                {
                    timeout = -1;
                }
                else
                {
                    Volatile.Write(ref _sleeping, 0);
                }
            }

            int count = Native.epoll_wait(_epoll, events, BatchSize, timeout);
            Volatile.Write(ref _sleeping, 0);
            if (count < 0)
            {
                if (Marshal.GetLastPInvokeError() == Eintr)
                {
                    continue;
                }

                // Cannot happen with a valid descriptor; every plain connection would stall, so fail loudly.
                Environment.FailFast("epoll_wait failed: errno " + Marshal.GetLastPInvokeError());
            }

            IActorRef?[][] targets = _targets.Chunks;
            for (int i = 0; i < count; i++)
            {
                ulong data = BinaryPrimitives.ReadUInt64LittleEndian(events.AsSpan(i * _eventSize + _dataOffset, 8));
                if (data == WakeData)
                {
                    ulong ignored = 0;
                    Native.read(_wakeFd, ref ignored, sizeof(ulong));
                    continue;
                }

                int slot = (int)(uint)data;
                int chunk = slot / SlotTable<IActorRef?>.ChunkSize;
                if (chunk >= targets.Length)
                {
                    targets = _targets.Chunks; // grown since this batch began
                }

                Volatile.Read(ref targets[chunk][slot % SlotTable<IActorRef?>.ChunkSize])?.Tell(ReadReady.Instance, ActorRefs.NoSender);
            }
        }
    }

    /// <summary>
    /// Runs the work queued before this pass (work it queues waits for the next pass, after the
    /// sockets were polled again); whether more is queued.
    /// </summary>
    private bool RunQueued()
    {
        while (_remote.TryDequeue(out IRunnable? work))
        {
            _local.Enqueue(work);
        }

        for (int pending = _local.Count; pending > 0; pending--)
        {
            IRunnable run = _local.Dequeue();
            try
            {
                run.Run();
            }
            catch (Exception error)
            {
                // Akka's mailboxes handle their actors' failures; anything else must not stop the loop.
                System.Diagnostics.Trace.TraceError("ActorSocket event loop: " + error);
            }
        }

        return _local.Count > 0 || !_remote.IsEmpty;
    }

    private static ReadinessPoller? CreateShared()
    {
        ReadinessPoller? poller = Create("actorsocket-epoll", runsWork: false, out string? problem);
        Unavailable = problem;
        return poller;
    }

    private static ReadinessPoller? Create(string name, bool runsWork, out string? problem)
    {
        if (!OperatingSystem.IsLinux())
        {
            problem = "not Linux";
            return null;
        }

        // struct epoll_event is packed on x86-64 (12 bytes) and naturally aligned elsewhere (16 bytes).
        (int size, int offset) = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => (12, 4),
            Architecture.Arm64 => (16, 8),
            _ => (0, 0),
        };
        if (size == 0)
        {
            problem = "unknown epoll_event layout on " + RuntimeInformation.ProcessArchitecture;
            return null;
        }

        try
        {
            int epoll = Native.epoll_create1(EpollCloexec);
            if (epoll < 0)
            {
                problem = "epoll_create1 failed: errno " + Marshal.GetLastPInvokeError();
                return null;
            }

            int wakeFd = -1;
            if (runsWork)
            {
                wakeFd = Native.eventfd(0, EfdNonblock | EfdCloexec);
                Span<byte> ev = stackalloc byte[16];
                ev.Clear();
                BinaryPrimitives.WriteUInt32LittleEndian(ev, EpollIn);
                BinaryPrimitives.WriteUInt64LittleEndian(ev[offset..], WakeData);
                if (wakeFd < 0 || Native.epoll_ctl(epoll, EpollCtlAdd, wakeFd, ref MemoryMarshal.GetReference(ev)) != 0)
                {
                    problem = "eventfd failed: errno " + Marshal.GetLastPInvokeError();
                    return null;
                }
            }

            problem = null;
            return new ReadinessPoller(epoll, size, offset, wakeFd, name);
        }
        catch (Exception error) when (error is DllNotFoundException or EntryPointNotFoundException)
        {
            problem = error.Message;
            return null;
        }
    }
}
