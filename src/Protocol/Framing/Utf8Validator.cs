using System.Text.Unicode;

namespace ActorSocket.Protocol.Framing;

/// <summary>
/// Incremental UTF-8 validator: feed a text message in pieces (split anywhere, even inside a
/// character) and learn at the first piece holding an invalid byte that the message is invalid.
/// </summary>
/// <remarks>
/// RFC 6455 8.1: "When an endpoint is to interpret a byte stream as UTF-8 but finds that the byte
/// stream is not, in fact, a valid UTF-8 stream, that endpoint MUST _Fail the WebSocket
/// Connection_." Validity follows RFC 3629: no overlong forms, no surrogates, nothing above
/// U+10FFFF. Complete characters are checked with the vectorized <see cref="Utf8.IsValid"/>; only a
/// character split across pieces goes through the byte-wise state machine.
/// </remarks>
internal struct Utf8Validator
{
    // Bytes still expected for the current character (0 when between characters), and the range
    // the next continuation byte must fall in (narrower than 80..BF right after E0, ED, F0, F4).
    private int _remaining;
    private byte _low;
    private byte _high;

    /// <summary>True when the bytes fed so far end on a character boundary.</summary>
    public readonly bool IsComplete => _remaining == 0;

    /// <summary>Forgets any partial character, for the next message.</summary>
    public void Reset() => _remaining = 0;

    /// <summary>Feeds the next piece; false as soon as the bytes so far cannot be valid UTF-8.</summary>
    public bool Feed(ReadOnlySpan<byte> data)
    {
        int i = 0;
        // Finish a character begun in an earlier piece.
        while (_remaining > 0)
        {
            if (i == data.Length)
            {
                return true;
            }

            if (!Step(data[i++]))
            {
                return false;
            }
        }

        ReadOnlySpan<byte> rest = data[i..];
        int cut = CompletePrefixLength(rest);
        if (!Utf8.IsValid(rest[..cut]))
        {
            return false;
        }

        foreach (byte b in rest[cut..])
        {
            if (!Step(b))
            {
                return false;
            }
        }

        return true;
    }

    // Length of the prefix that ends on a character boundary if the bytes are valid: everything
    // but a trailing lead byte whose character is not complete yet.
    private static int CompletePrefixLength(ReadOnlySpan<byte> data)
    {
        int n = data.Length;
        for (int back = 1; back <= 3 && back <= n; back++)
        {
            byte b = data[n - back];
            if ((b & 0xC0) == 0x80)
            {
                continue; // continuation byte: keep looking for its lead
            }

            int needed = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
            return needed > back ? n - back : n;
        }

        return n;
    }

    private bool Step(byte b)
    {
        if (_remaining == 0)
        {
            switch (b)
            {
                case < 0x80:
                    return true;
                case >= 0xC2 and <= 0xDF:
                    Expect(1, 0x80, 0xBF);
                    return true;
                case 0xE0:
                    Expect(2, 0xA0, 0xBF); // no overlong three-byte forms
                    return true;
                case 0xED:
                    Expect(2, 0x80, 0x9F); // no UTF-16 surrogates
                    return true;
                case >= 0xE1 and <= 0xEF:
                    Expect(2, 0x80, 0xBF);
                    return true;
                case 0xF0:
                    Expect(3, 0x90, 0xBF); // no overlong four-byte forms
                    return true;
                case >= 0xF1 and <= 0xF3:
                    Expect(3, 0x80, 0xBF);
                    return true;
                case 0xF4:
                    Expect(3, 0x80, 0x8F); // nothing above U+10FFFF
                    return true;
                default:
                    return false; // 80..C1 as a lead, F5..FF
            }
        }

        if (b < _low || b > _high)
        {
            return false;
        }

        _remaining--;
        _low = 0x80;
        _high = 0xBF;
        return true;
    }

    private void Expect(int remaining, byte low, byte high)
    {
        _remaining = remaining;
        _low = low;
        _high = high;
    }
}
