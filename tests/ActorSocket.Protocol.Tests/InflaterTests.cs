using System.IO.Compression;
using ActorSocket.Protocol.Deflate;

namespace ActorSocket.Protocol.Tests;

public class InflaterTests
{
    private static IEnumerable<byte[]> Samples()
    {
        var random = new Random(77);
        yield return [];
        yield return "a"u8.ToArray();
        yield return System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("the quick brown fox jumps over the lazy dog ", 2000)));
        byte[] noise = new byte[70_000];
        random.NextBytes(noise);
        yield return noise;
        byte[] mixed = new byte[200_000];
        for (int i = 0; i < mixed.Length; i++)
        {
            mixed[i] = (byte)(random.Next(8) == 0 ? random.Next(256) : 'a' + (i % 7));
        }

        yield return mixed;
    }

    [Theory]
    [InlineData(CompressionLevel.NoCompression)]
    [InlineData(CompressionLevel.Fastest)]
    [InlineData(CompressionLevel.Optimal)]
    [InlineData(CompressionLevel.SmallestSize)]
    public void Decodes_what_zlib_encodes_across_messages_with_context_takeover(CompressionLevel level)
    {
        // One zlib stream, sync-flushed after each message, as a client with context takeover sends.
        using var inflater = new Inflater(15, contextTakeover: true);
        using var output = new MemoryStream();
        using var deflate = new DeflateStream(output, level, leaveOpen: true);
        foreach (byte[] message in Samples().Concat(Samples()))
        {
            output.SetLength(0);
            deflate.Write(message);
            deflate.Flush();
            byte[] compressed = output.ToArray();
            Assert.True(compressed.Length == 0 || compressed.AsSpan()[^4..].SequenceEqual(new byte[] { 0, 0, 0xFF, 0xFF }));
            byte[] payload = compressed.Length == 0 ? [] : compressed[..^4];
            Assert.Equal(InflateResult.Ok, inflater.Inflate(payload, 1 << 20));
            Assert.True(message.AsSpan().SequenceEqual(inflater.Output.Span));
        }
    }

    [Fact]
    public void Truncated_data_is_corrupt_not_an_exception()
    {
        byte[] compressed = PerMessageDeflateCodecTests.RawDeflate(System.Text.Encoding.ASCII.GetBytes(new string('x', 5000) + "tail of the message"));
        for (int length = 1; length < compressed.Length - 1; length++)
        {
            using var inflater = new Inflater(15, contextTakeover: true);
            InflateResult result = inflater.Inflate(compressed.AsSpan(0, length), 1 << 20);
            Assert.NotEqual(InflateResult.TooLarge, result);
        }
    }

    [Fact]
    public void Output_stops_at_the_limit()
    {
        byte[] compressed = PerMessageDeflateCodecTests.RawDeflate(new byte[5000]);
        using var inflater = new Inflater(15, contextTakeover: true);
        Assert.Equal(InflateResult.TooLarge, inflater.Inflate(compressed, 4999));
        Assert.True(inflater.Output.IsEmpty);
        Assert.Equal(InflateResult.Ok, inflater.Inflate(compressed, 5000));
        Assert.Equal(5000, inflater.Output.Length);
    }
}
