namespace ActorSocket.Actors.Transport;

/// <summary>
/// A table of per-connection entries addressed by a small integer, for the process-wide services that
/// keep one entry per connection instead of one object (<see cref="ReadinessPoller"/>,
/// <see cref="Connections.KeepaliveClock"/>). Slots are taken and freed under a lock; entries live in chunks that
/// never move, so another thread may scan them without it (<see cref="Chunks"/>).
/// </summary>
/// <typeparam name="T">The entry; its default value means "free".</typeparam>
internal sealed class SlotTable<T>
{
    /// <summary>Entries per chunk.</summary>
    public const int ChunkSize = 4096;

    private readonly object _gate = new();
    private T[][] _chunks = [];
    private int[] _free = new int[64];
    private int _freeCount;
    private int _slots;
    private int _count;

    /// <summary>The chunks as they are now; a chunk's entries may change under the reader.</summary>
    public T[][] Chunks => Volatile.Read(ref _chunks);

    /// <summary>Slots in use.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Takes a slot and stores <paramref name="value"/> in it.</summary>
    public int Add(T value)
    {
        lock (_gate)
        {
            int slot = _freeCount > 0 ? _free[--_freeCount] : NewSlot();
            _chunks[slot / ChunkSize][slot % ChunkSize] = value;
            _count++;
            return slot;
        }
    }

    /// <summary>The entry in <paramref name="slot"/>, to read or change in place.</summary>
    public ref T this[int slot] => ref _chunks[slot / ChunkSize][slot % ChunkSize];

    /// <summary>Clears <paramref name="slot"/> and makes it available again.</summary>
    public void Remove(int slot)
    {
        lock (_gate)
        {
            _chunks[slot / ChunkSize][slot % ChunkSize] = default!;
            if (_freeCount == _free.Length)
            {
                Array.Resize(ref _free, _free.Length * 2);
            }

            _free[_freeCount++] = slot;
            _count--;
        }
    }

    private int NewSlot()
    {
        int slot = _slots++;
        if (slot / ChunkSize >= _chunks.Length)
        {
            var chunks = new T[_chunks.Length + 1][];
            Array.Copy(_chunks, chunks, _chunks.Length);
            chunks[^1] = new T[ChunkSize];
            Volatile.Write(ref _chunks, chunks);
        }

        return slot;
    }
}
