using System.Globalization;
using System.Text;
using ActorSocket.Protocol.Http;

namespace ActorSocket.Protocol.Deflate;

/// <summary>The permessage-deflate parameters agreed for one connection (RFC 7692 7.1).</summary>
/// <param name="ServerNoContextTakeover">The server resets its compressor for every message.</param>
/// <param name="ClientNoContextTakeover">The client resets its compressor for every message.</param>
/// <param name="ServerMaxWindowBits">log2 of the LZ77 window the server may use (8-15).</param>
/// <param name="ClientMaxWindowBits">log2 of the LZ77 window the client may use (8-15).</param>
public sealed record PerMessageDeflateParameters(
    bool ServerNoContextTakeover,
    bool ClientNoContextTakeover,
    int ServerMaxWindowBits,
    int ClientMaxWindowBits)
{
    /// <summary>The extension token.</summary>
    public const string ExtensionName = "permessage-deflate";

    /// <summary>The element of the <c>Sec-WebSocket-Extensions</c> response header that accepts these parameters.</summary>
    public string ToResponseHeader()
    {
        var text = new StringBuilder(ExtensionName);
        if (ServerNoContextTakeover)
        {
            text.Append("; server_no_context_takeover");
        }

        if (ClientNoContextTakeover)
        {
            text.Append("; client_no_context_takeover");
        }

        if (ServerMaxWindowBits < 15)
        {
            text.Append("; server_max_window_bits=").Append(ServerMaxWindowBits.ToString(CultureInfo.InvariantCulture));
        }

        if (ClientMaxWindowBits < 15)
        {
            text.Append("; client_max_window_bits=").Append(ClientMaxWindowBits.ToString(CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    /// <summary>
    /// Chooses the first acceptable permessage-deflate offer (RFC 7692 5: "the server ... MUST
    /// decline ... or accept ... one"), or null to run without compression.
    /// </summary>
    /// <remarks>
    /// An offer is declined when it repeats a parameter, names an unknown one, or gives a value out
    /// of range (RFC 7692 7.1). <c>client_max_window_bits</c> is accepted without echoing it: our
    /// decompressor reads any window. A <c>server_max_window_bits</c> below 15 is honoured by
    /// compressing only messages no longer than that window, each with a fresh context, so that no
    /// back-reference can reach further than the client allows.
    /// </remarks>
    public static PerMessageDeflateParameters? Negotiate(IReadOnlyList<ExtensionOffer> offers, PerMessageDeflateOptions options)
    {
        if (!options.Enabled)
        {
            return null;
        }

        foreach (ExtensionOffer offer in offers)
        {
            if (string.Equals(offer.Name, ExtensionName, StringComparison.OrdinalIgnoreCase) && TryAccept(offer, options, out PerMessageDeflateParameters? accepted))
            {
                return accepted;
            }
        }

        return null;
    }

    private static bool TryAccept(ExtensionOffer offer, PerMessageDeflateOptions options, out PerMessageDeflateParameters? accepted)
    {
        accepted = null;
        bool serverNoContext = false, clientNoContext = false, clientLimitable = false;
        int serverBits = 15, clientBits = 15;
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach ((string name, string? value) in offer.Parameters)
        {
            if (!seen.Add(name))
            {
                return false; // RFC 7692 7: a parameter must not appear twice
            }

            switch (name.ToLowerInvariant())
            {
                case "server_no_context_takeover" when value is null:
                    serverNoContext = true;
                    break;
                case "client_no_context_takeover" when value is null:
                    clientNoContext = true;
                    break;
                case "server_max_window_bits" when TryParseBits(value, out serverBits):
                    break;
                case "client_max_window_bits" when value is null:
                    clientLimitable = true; // the client supports the parameter: we may limit its window
                    break;
                case "client_max_window_bits" when TryParseBits(value, out clientBits):
                    clientLimitable = true;
                    break;
                default:
                    return false;
            }
        }

        // RFC 7692 7.1.1.1: the server may answer with server_no_context_takeover though the offer
        // did not ask for it. 7.1.2.2: it may name client_max_window_bits only when the offer did.
        if (!options.ServerContextTakeover)
        {
            serverNoContext = true;
        }

        if (clientLimitable)
        {
            clientBits = Math.Min(clientBits, Math.Clamp(options.ClientMaxWindowBits, 8, 15));
        }

        accepted = new PerMessageDeflateParameters(serverNoContext, clientNoContext, serverBits, clientBits);
        return true;
    }

    // RFC 7692 7.1.2.1: "decimal integer value without leading zeroes between 8 to 15, inclusive".
    private static bool TryParseBits(string? value, out int bits)
    {
        bits = 0;
        return value is { Length: 1 or 2 } && value[0] != '0'
            && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out bits)
            && bits is >= 8 and <= 15;
    }
}
