using ActorSocket.Actors.Dispatch;
using Akka.Actor;
using BenchmarkDotNet.Attributes;

namespace ActorSocket.Benchmarks;

/// <summary>
/// The connection mailbox's queue, uncontended as on an event loop: one envelope in, one out, 1,000
/// times per operation. <see cref="MonitorRing"/> is the queue as it was before 2026-12-01 (the same
/// ring under <c>lock (this)</c>), kept here as the baseline.
/// </summary>
[MemoryDiagnoser]
public class MailboxBenchmarks
{
    private const int Messages = 1000;
    private readonly CompactMessageQueue _queue = new();
    private readonly MonitorRing _monitor = new();
    private readonly Envelope _envelope = new("message", ActorRefs.NoSender);

    [Benchmark(Baseline = true, OperationsPerInvoke = Messages)]
    public int MonitorLockedRing()
    {
        int seen = 0;
        for (int i = 0; i < Messages; i++)
        {
            _monitor.Enqueue(_envelope);
            seen += _monitor.TryDequeue(out _) ? 1 : 0;
        }

        return seen;
    }

    [Benchmark(OperationsPerInvoke = Messages)]
    public int CompactMessageQueue()
    {
        int seen = 0;
        for (int i = 0; i < Messages; i++)
        {
            _queue.Enqueue(ActorRefs.Nobody, _envelope);
            seen += _queue.TryDequeue(out _) ? 1 : 0;
        }

        return seen;
    }

    /// <summary>The previous queue's locking: a ring guarded by the runtime's monitor.</summary>
    private sealed class MonitorRing
    {
        private readonly Envelope[] _ring = new Envelope[4];
        private int _head;
        private int _count;

        public void Enqueue(Envelope envelope)
        {
            lock (this)
            {
                _ring[(_head + _count) & 3] = envelope;
                Volatile.Write(ref _count, _count + 1);
            }
        }

        public bool TryDequeue(out Envelope envelope)
        {
            lock (this)
            {
                if (_count == 0)
                {
                    envelope = default;
                    return false;
                }

                envelope = _ring[_head];
                _ring[_head] = default;
                _head = (_head + 1) & 3;
                Volatile.Write(ref _count, _count - 1);
                return true;
            }
        }
    }
}
