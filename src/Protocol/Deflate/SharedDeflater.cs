using System.Runtime.InteropServices;
using ActorSocket.Protocol.Framing;

namespace ActorSocket.Protocol.Deflate;

/// <summary>
/// One zlib compressor per thread, shared by every connection that compresses without context
/// takeover (<c>server_no_context_takeover</c>, the default): each message is compressed and ended
/// with a zlib full flush, which ends the data on a byte boundary (with the empty stored block
/// 00 00 FF FF that RFC 7692 7.2.1 removes) and forgets the history, so the next message, whoever
/// it is for, refers to nothing before it. A connection then holds no compressor state at all
/// (zlib's is about 256 KiB), and no compressor is created or reset per message.
/// </summary>
/// <remarks>
/// The runtime's own zlib (System.IO.Compression.Native, shipped with every .NET runtime) is
/// called directly, because <c>DeflateStream</c> offers no full flush. Input and output pass
/// through two pinned 64 KiB buffers per thread. Where the native library cannot be loaded the
/// codec falls back to a fresh <c>DeflateStream</c> per message (<see cref="IsAvailable"/>).
/// </remarks>
internal sealed class SharedDeflater
{
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

    [ThreadStatic]
    private static SharedDeflater?[]? t_byLevel;

    private static int s_available = -1;

    private readonly byte[] _input = GC.AllocateArray<byte>(ChunkSize, pinned: true);
    private readonly byte[] _output = GC.AllocateArray<byte>(ChunkSize, pinned: true);
    private readonly nint _inputAddress;
    private readonly nint _outputAddress;
    private ZStream _stream;

    private SharedDeflater(int level)
    {
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
                    _ = For(1);
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

    /// <summary>This thread's compressor for <paramref name="level"/> (0-9), created on first use.</summary>
    public static SharedDeflater For(int level)
    {
        SharedDeflater?[] byLevel = t_byLevel ??= new SharedDeflater?[10];
        return byLevel[level] ??= new SharedDeflater(level);
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
