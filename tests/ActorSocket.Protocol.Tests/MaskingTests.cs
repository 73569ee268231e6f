using ActorSocket.Protocol.Framing;

namespace ActorSocket.Protocol.Tests;

public class MaskingTests
{
    private static byte[] Reference(byte[] data, byte[] key, int offset)
    {
        var result = (byte[])data.Clone();
        for (int i = 0; i < result.Length; i++)
        {
            // RFC 6455 5.3: transformed-octet-i = original-octet-i XOR masking-key-octet-(i MOD 4)
            result[i] ^= key[(i + offset) % 4];
        }

        return result;
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 0)]
    [InlineData(7, 3)]
    [InlineData(31, 1)]
    [InlineData(32, 2)]
    [InlineData(33, 0)]
    [InlineData(100, 3)]
    [InlineData(4099, 1)]
    public void Mask_matches_the_RFC_definition_for_every_length_and_offset(int length, int offset)
    {
        var random = new Random(length * 31 + offset);
        byte[] data = new byte[length];
        random.NextBytes(data);
        byte[] key = [0x37, 0xFA, 0x21, 0x3D];
        byte[] actual = (byte[])data.Clone();
        Masking.Apply(actual, Masking.ReadKey(key), offset);
        Assert.Equal(Reference(data, key, offset), actual);
    }

    [Fact]
    public void Masking_twice_restores_the_data()
    {
        byte[] data = new byte[1000];
        new Random(5).NextBytes(data);
        byte[] copy = (byte[])data.Clone();
        Masking.Apply(copy, 0xDEADBEEF, 0);
        Assert.NotEqual(data, copy);
        Masking.Apply(copy, 0xDEADBEEF, 0);
        Assert.Equal(data, copy);
    }

    [Fact]
    public void Masking_in_pieces_equals_masking_at_once()
    {
        byte[] data = new byte[257];
        new Random(9).NextBytes(data);
        byte[] whole = (byte[])data.Clone();
        Masking.Apply(whole, 0x01020304, 0);
        byte[] pieces = (byte[])data.Clone();
        int[] cuts = [0, 3, 4, 41, 100, 101, 257];
        for (int i = 0; i + 1 < cuts.Length; i++)
        {
            Masking.Apply(pieces.AsSpan(cuts[i], cuts[i + 1] - cuts[i]), 0x01020304, cuts[i]);
        }

        Assert.Equal(whole, pieces);
    }
}
