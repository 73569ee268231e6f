using System.IO.Compression;
using System.Text;
using ActorSocket.Protocol.Deflate;
using BenchmarkDotNet.Attributes;

namespace ActorSocket.Benchmarks;

/// <summary>
/// The inflater's CPU per input byte against zlib (the runtime's DeflateStream) on the same bytes:
/// ordinary compressed JSON, and hostile streams of nothing but empty blocks (a decoder that paid
/// a lot per block would be a CPU amplifier).
/// </summary>
[MemoryDiagnoser]
public class InflaterBenchmarks
{
    private byte[] _json = [];
    private byte[] _emptyFixed = [];
    private byte[] _emptyStored = [];

    [GlobalSetup]
    public void Setup()
    {
        var text = new StringBuilder();
        for (int i = 0; text.Length < 64 * 1024; i++)
        {
            text.Append("{\"op\":\"message\",\"topic\":\"room:lobby\",\"data\":{\"n\":").Append(i).Append(",\"text\":\"hello there\"}}");
        }

        using (var output = new MemoryStream())
        {
            using (var deflate = new DeflateStream(output, CompressionLevel.Fastest, leaveOpen: true))
            {
                deflate.Write(Encoding.UTF8.GetBytes(text.ToString()));
                deflate.Flush();
            }

            _json = output.ToArray()[..^4];
        }

        // 64 KiB of empty fixed-Huffman blocks (10 bits each: header 010, end-of-block 0000000),
        // then a final one: about 52,000 blocks that decode to nothing.
        _emptyFixed = new byte[64 * 1024];
        var bits = new BitWriter(_emptyFixed);
        while (bits.Position + 20 < _emptyFixed.Length * 8)
        {
            bits.Write(0b010, 3); // BFINAL=0, BTYPE=01, written LSB first
            bits.Write(0, 7);
        }

        // 64 KiB of empty stored blocks (00 00 00 FF FF each, as sync flushes make).
        _emptyStored = new byte[64 * 1024 / 5 * 5];
        for (int i = 0; i < _emptyStored.Length; i += 5)
        {
            _emptyStored[i + 3] = 0xFF;
            _emptyStored[i + 4] = 0xFF;
        }
    }

    [Benchmark(Description = "inflate 64 KiB of JSON (ours)")]
    public int OursJson() => Ours(_json);

    [Benchmark(Description = "inflate 64 KiB of JSON (zlib)")]
    public int ZlibJson() => Zlib(_json);

    [Benchmark(Description = "64 KiB of empty fixed blocks (ours)")]
    public int OursEmptyFixed() => Ours(_emptyFixed);

    [Benchmark(Description = "64 KiB of empty fixed blocks (zlib)")]
    public int ZlibEmptyFixed() => Zlib(_emptyFixed);

    [Benchmark(Description = "64 KiB of empty stored blocks (ours)")]
    public int OursEmptyStored() => Ours(_emptyStored);

    [Benchmark(Description = "64 KiB of empty stored blocks (zlib)")]
    public int ZlibEmptyStored() => Zlib(_emptyStored);

    private static int Ours(byte[] compressed)
    {
        using var inflater = new Inflater(15, contextTakeover: false);
        inflater.Inflate(compressed, 1 << 20);
        return inflater.Output.Length;
    }

    private static int Zlib(byte[] compressed)
    {
        using var input = new MemoryStream([.. compressed, 0x00, 0x00, 0xFF, 0xFF]);
        using var inflate = new DeflateStream(input, CompressionMode.Decompress);
        byte[] buffer = new byte[16 * 1024];
        int total = 0;
        int read;
        try
        {
            while ((read = inflate.Read(buffer)) > 0)
            {
                total += read;
            }
        }
        catch (InvalidDataException)
        {
        }

        return total;
    }

    private ref struct BitWriter(Span<byte> buffer)
    {
        private readonly Span<byte> _buffer = buffer;

        public int Position { get; private set; }

        public void Write(int value, int count)
        {
            for (int i = 0; i < count; i++, Position++)
            {
                if (((value >> i) & 1) != 0)
                {
                    _buffer[Position >> 3] |= (byte)(1 << (Position & 7));
                }
            }
        }
    }
}
