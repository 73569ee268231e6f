using System.Buffers;

namespace ActorSocket.Protocol.Framing;

/// <summary>
/// A growable byte buffer rented from <see cref="ArrayPool{T}.Shared"/>, holding no array while
/// empty so that an idle connection costs no buffer memory.
/// </summary>
/// <remarks>Not thread-safe: owned by one codec, used from one thread at a time.</remarks>
internal sealed class PooledBuffer : IBufferWriter<byte>, IDisposable
{
    private const int MinimumSize = 256;
    private byte[]? _array;
    private int _start;
    private int _end;

    /// <summary>Number of unconsumed bytes.</summary>
    public int Length => _end - _start;

    /// <summary>The unconsumed bytes; valid until the buffer is next written to or consumed.</summary>
    public Span<byte> Span => _array is null ? default : _array.AsSpan(_start, _end - _start);

    /// <summary>The unconsumed bytes as memory; valid until the buffer is next written to or consumed.</summary>
    public Memory<byte> Memory => _array is null ? default : _array.AsMemory(_start, _end - _start);

    /// <summary>Bytes the buffer holds from the pool right now (0 while empty and released).</summary>
    public int Capacity => _array?.Length ?? 0;

    public void Write(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        data.CopyTo(GetSpan(data.Length));
        _end += data.Length;
    }

    /// <summary>Drops <paramref name="count"/> bytes from the front; returns the array when empty.</summary>
    public void Consume(int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Length);
        _start += count;
        if (_start == _end)
        {
            Release();
        }
    }

    /// <summary>Drops <paramref name="count"/> bytes from the end.</summary>
    public void Truncate(int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Length);
        _end -= count;
    }

    /// <summary>Forgets the content and returns the array to the pool.</summary>
    public void Release()
    {
        if (_array is not null)
        {
            ArrayPool<byte>.Shared.Return(_array);
            _array = null;
        }

        _start = 0;
        _end = 0;
    }

    public void Advance(int count)
    {
        if (_array is null || count < 0 || _end + count > _array.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }

        _end += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _array.AsMemory(_end);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _array.AsSpan(_end);
    }

    public void Dispose() => Release();

    private void Ensure(int sizeHint)
    {
        int needed = Math.Max(sizeHint, 1);
        if (_array is null)
        {
            _array = ArrayPool<byte>.Shared.Rent(Math.Max(needed, MinimumSize));
            return;
        }

        if (_array.Length - _end >= needed)
        {
            return;
        }

        int length = _end - _start;
        if (_array.Length - length >= needed && _start > 0)
        {
            // Enough room once the consumed prefix is reclaimed.
            Buffer.BlockCopy(_array, _start, _array, 0, length);
        }
        else
        {
            long size = Math.Max((long)_array.Length * 2, (long)length + needed);
            byte[] bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(size, Array.MaxLength));
            Buffer.BlockCopy(_array, _start, bigger, 0, length);
            ArrayPool<byte>.Shared.Return(_array);
            _array = bigger;
        }

        _start = 0;
        _end = length;
    }
}
