using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Akka.Actor;

namespace ActorSocket.Actors.Transport;

/// <summary>
/// Linux only: one epoll instance and one thread that tell a plain connection's actor when its socket
/// has data (<see cref="ReadReady"/>); the actor then reads it itself, without waiting, on its own
/// thread. An idle connection therefore costs nothing here but one slot in a table: no pending
/// receive, no socket event args, no async state machine (about 1.2 KB each with .NET's asynchronous
/// receive, which the other platforms and TLS keep using through <see cref="AsyncReader"/>).
/// </summary>
/// <remarks>
/// Edge-triggered: the kernel reports each arrival of data once, so a reader takes everything there
/// is (a short read means the socket was emptied) or asks again later. The thread never touches a
/// socket; it only tells actors, so a slow actor never holds it up.
/// </remarks>
internal sealed class ReadinessPoller
{
    private const int EpollCtlAdd = 1;
    private const uint EpollIn = 0x001;
    private const uint EpollRdHup = 0x2000;
    private const uint EpollEt = 0x80000000;
    private const int EpollCloexec = 0x80000;
    private const int Eintr = 4;
    private const int BatchSize = 512;

    private static readonly Lazy<ReadinessPoller?> SharedPoller = new(Create, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly int _epoll;
    private readonly int _eventSize;
    private readonly int _dataOffset;
    private readonly SlotTable<IActorRef?> _targets = new();

    private ReadinessPoller(int epoll, int eventSize, int dataOffset)
    {
        _epoll = epoll;
        _eventSize = eventSize;
        _dataOffset = dataOffset;
        var thread = new Thread(Run) { IsBackground = true, Name = "actorsocket-epoll" };
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
    /// The process's poller, or null where there is none (not Linux, or an unknown <c>epoll_event</c>
    /// layout): connections then read through <see cref="AsyncReader"/>.
    /// </summary>
    public static ReadinessPoller? Shared => SharedPoller.Value;

    /// <summary>Why there is no poller, for the log; null when there is one.</summary>
    public static string? Unavailable { get; private set; }

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
        byte[] events = new byte[BatchSize * _eventSize];
        while (true)
        {
            int count = Native.epoll_wait(_epoll, events, BatchSize, -1);
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

    private static ReadinessPoller? Create()
    {
        if (!OperatingSystem.IsLinux())
        {
            Unavailable = "not Linux";
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
            Unavailable = "unknown epoll_event layout on " + RuntimeInformation.ProcessArchitecture;
            return null;
        }

        try
        {
            int epoll = Native.epoll_create1(EpollCloexec);
            if (epoll < 0)
            {
                Unavailable = "epoll_create1 failed: errno " + Marshal.GetLastPInvokeError();
                return null;
            }

            return new ReadinessPoller(epoll, size, offset);
        }
        catch (Exception error) when (error is DllNotFoundException or EntryPointNotFoundException)
        {
            Unavailable = error.Message;
            return null;
        }
    }
}
