using System.Runtime.InteropServices;
using ActorSocket.Protocol.Framing;

namespace ActorSocket.Protocol.Deflate;

/// <summary>
/// A few zlib compressors shared by every connection that compresses without context
/// takeover (<c>server_no_context_takeover</c>, the default): each message is compressed and ended
/// with a zlib full flush, which ends the data on a byte boundary (with the empty stored block
/// 00 00 FF FF that RFC 7692 7.2.1 removes) and forgets the history, so the next message, whoever
/// it is for, refers to nothing before it. A connection then holds no compressor state at all
/// (zlib's is about 256 KiB), and no compressor is created or reset per message.
/// </summary>
/// <remarks>
/// The runtime's own zlib (System.IO.Compression.Native, shipped with every .NET runtime) is
/// called directly, because <c>DeflateStream</c> offers no full flush. Input and output pass
/// through two pinned 64 KiB buffers per compressor. Compressors are rented for one message and
/// returned, per level: as many exist as messages were ever compressed at once (about the number
/// of cores), whatever threads come and go; one past <see cref="MaxIdle"/> is freed. Where the
/// native library cannot be loaded the codec falls back to a fresh <c>DeflateStream</c> per
/// message (<see cref="IsAvailable"/>).
/// </remarks>
internal sealed class SharedDeflater : IDisposable
{
    /// <summary>Idle compressors kept per level.</summary>
    public const int MaxIdle = 16;

    private const string Library = "libSystem.IO.Compression.Native";
    private const int ChunkSize = 64 * 1024;
    private const int ZNoFlush = 0;
    private const int ZFullFlush = 3;
    private const int ZOk = 0;
    private const int ZBufError = -5;
    private const int ZDeflated = 8;
    private const int ZDefaultStrategy = 0;
    private const int RawWindowBits = -15;
    private const int MemLevel = 8;

    private static readonly Stack<SharedDeflater>[] Idle = Enumerable.Range(0, 10).Select(_ => new Stack<SharedDeflater>()).ToArray();

    private static int s_available = -1;

    private readonly byte[] _input = GC.AllocateArray<byte>(ChunkSize, pinned: true);
    private readonly byte[] _output = GC.AllocateArray<byte>(ChunkSize, pinned: true);
    private readonly nint _inputAddress;
    private readonly nint _outputAddress;
    private readonly int _level;
    private ZStream _stream;
    private bool _ended;

    private SharedDeflater(int level)
    {
        _level = level;
        _inputAddress = Marshal.UnsafeAddrOfPinnedArrayElement(_input, 0);
        _outputAddress = Marshal.UnsafeAddrOfPinnedArrayElement(_output, 0);
        int result = DeflateInit2(ref _stream, level, ZDeflated, RawWindowBits, MemLevel, ZDefaultStrategy);
        if (result != ZOk)
        {
            throw new InvalidOperationException("zlib deflateInit2 failed with " + result);
        }
    }

    /// <summary>Whether the runtime's zlib can be called here (probed once).</summary>
    public static bool IsAvailable
    {
        get
        {
            if (s_available < 0)
            {
                try
                {
                    Return(Rent(1));
                    s_available = 1;
                }
                catch (Exception error) when (error is DllNotFoundException or EntryPointNotFoundException or InvalidOperationException)
                {
                    s_available = 0;
                }
            }

            return s_available == 1;
        }
    }

    /// <summary>A compressor for <paramref name="level"/> (0-9) for one message; give it back with <see cref="Return"/>.</summary>
    public static SharedDeflater Rent(int level)
    {
        Stack<SharedDeflater> idle = Idle[level];
        lock (idle)
        {
            if (idle.TryPop(out SharedDeflater? deflater))
            {
                return deflater;
            }
        }

        return new SharedDeflater(level);
    }

    /// <summary>Gives a compressor back after a message (its history already forgotten by the full flush).</summary>
    public static void Return(SharedDeflater deflater)
    {
        Stack<SharedDeflater> idle = Idle[deflater._level];
        lock (idle)
        {
            if (idle.Count < MaxIdle)
            {
                idle.Push(deflater);
                return;
            }
        }

        deflater.Dispose();
    }

    /// <summary>Frees zlib's state.</summary>
    public void Dispose()
    {
        End();
        GC.SuppressFinalize(this);
    }

    ~SharedDeflater() => End();

    private void End()
    {
        if (!_ended)
        {
            _ended = true;
            DeflateEnd(ref _stream);
        }
    }

    /// <summary>Appends the compressed form of <paramref name="message"/>, without the 00 00 FF FF tail, to <paramref name="destination"/>.</summary>
    /// <returns>The number of bytes appended.</returns>
    public int Compress(ReadOnlySpan<byte> message, PooledBuffer destination)
    {
        int before = destination.Length;
        do
        {
            int take = Math.Min(message.Length, ChunkSize);
            message[..take].CopyTo(_input);
            message = message[take..];
            _stream.NextIn = _inputAddress;
            _stream.AvailIn = (uint)take;
            int flush = message.IsEmpty ? ZFullFlush : ZNoFlush;
            while (true)
            {
                _stream.NextOut = _outputAddress;
                _stream.AvailOut = ChunkSize;
                int result = Deflate(ref _stream, flush);
                if (result != ZOk && result != ZBufError)
                {
                    throw new InvalidOperationException("zlib deflate failed with " + result);
                }

                int produced = ChunkSize - (int)_stream.AvailOut;
                destination.Write(_output.AsSpan(0, produced));
                // zlib is done with this input (and the flush) once it leaves output space unused.
                if (_stream.AvailIn == 0 && _stream.AvailOut != 0)
                {
                    break;
                }
            }
        }
        while (!message.IsEmpty);

        int written = destination.Length - before;
        // RFC 7692 7.2.1: "Remove 4 octets (that are 0x00 0x00 0xff 0xff) from the tail end."
        if (written >= 4 && destination.Span[^4..].SequenceEqual(SyncFlushTail))
        {
            destination.Truncate(4);
            written -= 4;
        }

        return written;
    }

    private static ReadOnlySpan<byte> SyncFlushTail => [0x00, 0x00, 0xFF, 0xFF];

#pragma warning disable SYSLIB1054 // LibraryImport's generated marshalling would need unsafe code; the struct is blittable.
    [DllImport(Library, EntryPoint = "CompressionNative_DeflateInit2_")]
    private static extern int DeflateInit2(ref ZStream stream, int level, int method, int windowBits, int memLevel, int strategy);

    [DllImport(Library, EntryPoint = "CompressionNative_Deflate")]
    private static extern int Deflate(ref ZStream stream, int flush);

    [DllImport(Library, EntryPoint = "CompressionNative_DeflateEnd")]
    private static extern int DeflateEnd(ref ZStream stream);
#pragma warning restore SYSLIB1054

    /// <summary>The runtime's <c>PAL_ZStream</c>: the native side keeps its own z_stream and copies these fields in and out on every call.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct ZStream
    {
        public nint NextIn;
        public nint NextOut;
        public nint Message;
        public nint InternalState;
        public uint AvailIn;
        public uint AvailOut;
    }
}
