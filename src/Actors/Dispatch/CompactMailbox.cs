using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace ActorSocket.Actors.Dispatch;

/// <summary>
/// The connection actors' mailbox: unbounded like Akka's default, but small while idle. Akka's
/// default queue (a ConcurrentQueue) holds a 32-slot segment from the start, about 1 KiB per actor;
/// with tens of thousands of mostly idle connections that is a large part of their memory. This
/// queue starts with 4 slots, doubles when a burst needs it, and drops back to 4 once drained
/// from more than 16.
/// </summary>
/// <remarks>Configured as <c>actorsocket.connection-mailbox</c>; a spin lock guards the ring (enqueuers are few per connection: its read loop, its topics, its timers).</remarks>
internal sealed class CompactMailbox : MailboxType, IProducesMessageQueue<CompactMessageQueue>
{
    /// <summary>Created by Akka from the mailbox configuration.</summary>
    public CompactMailbox(Settings settings, Config config)
        : base(settings, config)
    {
    }

    /// <inheritdoc />
    public override IMessageQueue Create(IActorRef owner, ActorSystem system) => new CompactMessageQueue();
}

/// <summary>
/// A ring of envelopes that grows by doubling and shrinks when drained, guarded by a spin lock on an
/// integer of its own: no object per queue, and no monitor. A profile of fan-out (perf, 2026-12-01)
/// put about 15% of the server's CPU in the runtime's monitor helpers under the enqueue and dequeue of
/// <c>lock (this)</c>, uncontended as they nearly always are (a connection and the topics it hears run
/// on one event loop); the critical sections are a few stores, so a waiter spins only briefly.
/// </summary>
internal sealed class CompactMessageQueue : IMessageQueue, IUnboundedMessageQueueSemantics
{
    private const int SmallCapacity = 4;

    // Up to 16 slots (256 B) stay after a burst: a busy connection does not reallocate on every burst.
    private const int KeptCapacity = 16;
    private Envelope[] _ring = new Envelope[SmallCapacity];
    private int _head;
    private int _count;
    private int _locked;

    /// <summary>Slots held now (tests).</summary>
    internal int Capacity
    {
        get
        {
            Enter();
            int capacity = _ring.Length;
            Exit();
            return capacity;
        }
    }

    /// <inheritdoc />
    public bool HasMessages => Volatile.Read(ref _count) > 0;

    /// <inheritdoc />
    public int Count => Volatile.Read(ref _count);

    /// <inheritdoc />
    public void Enqueue(IActorRef receiver, Envelope envelope)
    {
        Enter();
        try
        {
            if (_count == _ring.Length)
            {
                var larger = new Envelope[_ring.Length * 2];
                for (int i = 0; i < _count; i++)
                {
                    larger[i] = _ring[(_head + i) & (_ring.Length - 1)];
                }

                _ring = larger;
                _head = 0;
            }

            _ring[(_head + _count) & (_ring.Length - 1)] = envelope;
            Volatile.Write(ref _count, _count + 1);
        }
        finally
        {
            Exit();
        }
    }

    /// <inheritdoc />
    public bool TryDequeue(out Envelope envelope)
    {
        if (Volatile.Read(ref _count) == 0)
        {
            envelope = default; // only the actor's own run dequeues: nothing can appear and vanish meanwhile
            return false;
        }

        Enter();
        try
        {
            if (_count == 0)
            {
                envelope = default;
                return false;
            }

            envelope = _ring[_head];
            _ring[_head] = default; // no reference kept to a handled message
            _head = (_head + 1) & (_ring.Length - 1);
            Volatile.Write(ref _count, _count - 1);
            if (_count == 0)
            {
                _head = 0;
                if (_ring.Length > KeptCapacity)
                {
                    // A burst is over: give its slots back rather than keep them for the connection's life.
                    _ring = new Envelope[SmallCapacity];
                }
            }

            return true;
        }
        finally
        {
            Exit();
        }
    }

    private void Enter()
    {
        if (Interlocked.CompareExchange(ref _locked, 1, 0) != 0)
        {
            Contended();
        }
    }

    private void Contended()
    {
        var spin = default(SpinWait);
        do
        {
            spin.SpinOnce(); // yields, then sleeps, if the holder was preempted
        }
        while (Interlocked.CompareExchange(ref _locked, 1, 0) != 0);
    }

    private void Exit() => Volatile.Write(ref _locked, 0);

    /// <inheritdoc />
    public void CleanUp(IActorRef owner, IMessageQueue deadletters)
    {
        while (TryDequeue(out Envelope envelope))
        {
            deadletters.Enqueue(owner, envelope);
        }
    }
}
