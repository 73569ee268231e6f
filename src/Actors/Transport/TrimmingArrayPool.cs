using System.Buffers;
using System.Numerics;

namespace ActorSocket.Actors.Transport;

/// <summary>
/// An array pool that gives memory back. Arrays are kept per power-of-two size up to a byte budget
/// for the whole pool; a trim every few seconds frees the arrays of each size that nobody rented
/// since the previous trim (the lowest number held in between), so what a burst left behind is
/// released within two periods of quiet, while a steady load keeps what it uses.
/// </summary>
/// <remarks>
/// Each size is a lock-guarded stack of arrays (no allocation per rent or return). Arrays larger
/// than <see cref="MaxArrayLength"/> are not pooled.
/// </remarks>
internal sealed class TrimmingArrayPool : ArrayPool<byte>
{
    private const int MinShift = 8; // 256 B
    private readonly Bucket[] _buckets;
    private readonly long _maxRetainedBytes;

    /// <param name="maxArrayLength">The largest array pooled.</param>
    /// <param name="maxRetainedBytes">Bytes the pool may hold in all; a returned array past it is left to the GC.</param>
    public TrimmingArrayPool(int maxArrayLength, long maxRetainedBytes)
    {
        MaxArrayLength = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(maxArrayLength, 1 << MinShift));
        _maxRetainedBytes = maxRetainedBytes;
        _buckets = new Bucket[BitOperations.Log2((uint)MaxArrayLength) - MinShift + 1];
        for (int i = 0; i < _buckets.Length; i++)
        {
            _buckets[i] = new Bucket(1 << (i + MinShift));
        }
    }

    /// <summary>The largest array this pool keeps.</summary>
    public int MaxArrayLength { get; }

    /// <summary>Bytes held in the pool now (read without locks: exact when nothing rents or returns meanwhile).</summary>
    public long RetainedBytes
    {
        get
        {
            // Each size keeps its own count under its own lock: no counter shared by every rent
            // and return for the cores to fight over.
            long total = 0;
            foreach (Bucket bucket in _buckets)
            {
                total += (long)bucket.Count * bucket.Size;
            }

            return total;
        }
    }

    /// <inheritdoc />
    public override byte[] Rent(int minimumLength)
    {
        if (minimumLength > MaxArrayLength)
        {
            return GC.AllocateUninitializedArray<byte>(minimumLength);
        }

        Bucket bucket = _buckets[Index(minimumLength)];
        return bucket.TryPop() ?? GC.AllocateUninitializedArray<byte>(bucket.Size);
    }

    /// <inheritdoc />
    public override void Return(byte[] array, bool clearArray = false)
    {
        if (array.Length > MaxArrayLength || array.Length < 1 << MinShift || !BitOperations.IsPow2(array.Length))
        {
            return; // not one of ours
        }

        if (RetainedBytes + array.Length > _maxRetainedBytes)
        {
            return; // over budget: the GC takes it
        }

        if (clearArray)
        {
            Array.Clear(array);
        }

        _buckets[Index(array.Length)].Push(array);
    }

    /// <summary>Frees, per size, the arrays that stayed in the pool since the last trim; returns the bytes freed.</summary>
    public long Trim()
    {
        long freed = 0;
        foreach (Bucket bucket in _buckets)
        {
            freed += bucket.TrimIdle();
        }

        return freed;
    }

    private static int Index(int length) =>
        Math.Max(0, BitOperations.Log2(BitOperations.RoundUpToPowerOf2((uint)Math.Max(length, 1))) - MinShift);

    private sealed class Bucket(int size)
    {
        private readonly Lock _lock = new();
        private byte[]?[] _items = new byte[]?[4];
        private int _count;
        private int _lowSinceTrim;

        public int Size { get; } = size;

        /// <summary>Arrays held; read without the lock by the budget check.</summary>
        public int Count => Volatile.Read(ref _count);

        public byte[]? TryPop()
        {
            lock (_lock)
            {
                if (_count == 0)
                {
                    return null;
                }

                byte[]? array = _items[--_count];
                _items[_count] = null;
                _lowSinceTrim = Math.Min(_lowSinceTrim, _count);
                return array;
            }
        }

        public void Push(byte[] array)
        {
            lock (_lock)
            {
                if (_count == _items.Length)
                {
                    Array.Resize(ref _items, _items.Length * 2);
                }

                _items[_count++] = array;
            }
        }

        /// <summary>Drops the arrays nobody took since the last trim (the bottom of the stack).</summary>
        public long TrimIdle()
        {
            lock (_lock)
            {
                int idle = Math.Min(_lowSinceTrim, _count);
                if (idle > 0)
                {
                    Array.Copy(_items, idle, _items, 0, _count - idle);
                    Array.Clear(_items, _count - idle, idle);
                    _count -= idle;
                }

                if (_items.Length > 16 && _count < _items.Length / 4)
                {
                    Array.Resize(ref _items, Math.Max(16, _items.Length / 2));
                }

                _lowSinceTrim = _count;
                return (long)idle * Size;
            }
        }
    }
}
