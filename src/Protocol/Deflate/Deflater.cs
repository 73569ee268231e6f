using System.IO.Compression;
using ActorSocket.Protocol.Framing;

namespace ActorSocket.Protocol.Deflate;

/// <summary>
/// Compresses outgoing messages for permessage-deflate with the runtime's zlib, one sync-flushed
/// DEFLATE stream per connection (context takeover) or a fresh one per message.
/// </summary>
/// <remarks>
/// <c>DeflateStream.Flush()</c> performs a zlib sync flush, which ends the data on a byte boundary
/// with an empty stored block (00 00 FF FF) that RFC 7692 7.2.1 says to remove.
/// zlib's state (about 256 KiB) is created on the first compressed message, never for a connection
/// that does not compress. Not thread-safe; owned by one codec.
/// </remarks>
internal sealed class Deflater : IDisposable
{
    private readonly bool _contextTakeover;
    private readonly int _level;
    private readonly SinkStream _sink = new();
    private DeflateStream? _stream;

    public Deflater(bool contextTakeover, int level)
    {
        _contextTakeover = contextTakeover;
        _level = level;
    }

    /// <summary>Appends the compressed form of <paramref name="message"/> to <paramref name="destination"/>.</summary>
    /// <returns>The number of bytes appended.</returns>
    public int Compress(ReadOnlySpan<byte> message, PooledBuffer destination)
    {
        _sink.Target = destination;
        int before = destination.Length;
        try
        {
            _stream ??= new DeflateStream(_sink, new ZLibCompressionOptions { CompressionLevel = _level }, leaveOpen: true);
            _stream.Write(message);
            _stream.Flush();
        }
        finally
        {
            _sink.Target = null;
        }

        if (!_contextTakeover)
        {
            // A fresh stream per message is the only reset DeflateStream offers; the final block
            // that disposing writes goes nowhere.
            _stream.Dispose();
            _stream = null;
        }

        int written = destination.Length - before;
        // RFC 7692 7.2.1: "Remove 4 octets (that are 0x00 0x00 0xff 0xff) from the tail end."
        if (written >= 4 && destination.Span[^4..].SequenceEqual(SyncFlushTail))
        {
            destination.Truncate(4);
            written -= 4;
        }

        return written;
    }

    public void Dispose()
    {
        _stream?.Dispose();
        _stream = null;
    }

    private static ReadOnlySpan<byte> SyncFlushTail => [0x00, 0x00, 0xFF, 0xFF];

    /// <summary>A write-only stream that appends to whichever buffer is current.</summary>
    private sealed class SinkStream : Stream
    {
        public PooledBuffer? Target { get; set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        // Without a target (while the stream is disposed) output is discarded.
        public override void Write(ReadOnlySpan<byte> buffer) => Target?.Write(buffer);
    }
}
