using System.Text;
using ActorSocket.Protocol.Framing;

namespace ActorSocket.Protocol.Tests;

public class Utf8ValidatorTests
{
    public static TheoryData<string, bool> Cases => new()
    {
        { "", true },
        { "48656c6c6f", true },
        { "cebae1bdb9cf83cebcceb5", true },          // κόσμε
        { "f09f9880", true },                          // U+1F600
        { "f48fbfbf", true },                          // U+10FFFF
        { "efbfbf", true },                            // U+FFFF
        { "c0af", false },                             // overlong '/'
        { "e080af", false },                           // overlong
        { "f08080af", false },                         // overlong
        { "eda080", false },                           // surrogate U+D800
        { "edbfbf", false },                           // surrogate U+DFFF
        { "f4908080", false },                         // above U+10FFFF
        { "f5", false },
        { "ff", false },
        { "80", false },                               // lone continuation
        { "cebae1bdb9cf83cebcceb5eda080656469746564", false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Validity_does_not_depend_on_where_the_input_is_split(string hex, bool valid)
    {
        byte[] bytes = Convert.FromHexString(hex);
        for (int cut = 0; cut <= bytes.Length; cut++)
        {
            var validator = default(Utf8Validator);
            bool ok = validator.Feed(bytes.AsSpan(0, cut)) && validator.Feed(bytes.AsSpan(cut)) && validator.IsComplete;
            Assert.Equal(valid, ok);
        }
    }

    [Fact]
    public void An_incomplete_character_is_pending_not_invalid()
    {
        var validator = default(Utf8Validator);
        Assert.True(validator.Feed([0xF0, 0x9F]));
        Assert.False(validator.IsComplete);
        Assert.True(validator.Feed([0x98, 0x80]));
        Assert.True(validator.IsComplete);
    }

    [Fact]
    public void An_invalid_byte_fails_the_piece_it_is_in_before_the_message_ends()
    {
        var validator = default(Utf8Validator);
        Assert.True(validator.Feed("valid so far "u8));
        Assert.False(validator.Feed([0xCE, 0xBA, 0xFF]));
    }

    [Fact]
    public void Agrees_with_the_runtime_on_random_input()
    {
        var random = new Random(42);
        for (int i = 0; i < 20000; i++)
        {
            byte[] bytes = new byte[random.Next(0, 12)];
            random.NextBytes(bytes);
            if (random.Next(3) == 0)
            {
                bytes = Encoding.UTF8.GetBytes("aé€😀" + bytes.Length);
            }

            int cut = random.Next(0, bytes.Length + 1);
            var validator = default(Utf8Validator);
            bool ok = validator.Feed(bytes.AsSpan(0, cut)) && validator.Feed(bytes.AsSpan(cut)) && validator.IsComplete;
            Assert.Equal(System.Text.Unicode.Utf8.IsValid(bytes), ok);
        }
    }
}
