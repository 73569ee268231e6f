namespace ActorSocket.Protocol.Http;

/// <summary>
/// One element of a <c>Sec-WebSocket-Extensions</c> header (RFC 6455 9.1): an extension name and
/// its parameters in the order they were offered.
/// </summary>
/// <param name="Name">The extension token, such as <c>permessage-deflate</c>.</param>
/// <param name="Parameters">Parameter names with their values; a value is null when the parameter
/// had none. Quoted values are unquoted.</param>
public sealed record ExtensionOffer(string Name, IReadOnlyList<KeyValuePair<string, string?>> Parameters)
{
    /// <summary>
    /// Parses every extension offered in the header values, in order. Malformed elements are
    /// skipped: an offer the server cannot read is an offer it declines.
    /// </summary>
    public static IReadOnlyList<ExtensionOffer> ParseAll(IEnumerable<string> headerValues)
    {
        var offers = new List<ExtensionOffer>();
        foreach (string value in headerValues)
        {
            foreach (string element in HttpTokens.SplitList(value, ','))
            {
                ExtensionOffer? offer = ParseElement(element);
                if (offer is not null)
                {
                    offers.Add(offer);
                }
            }
        }

        return offers;
    }

    private static ExtensionOffer? ParseElement(string element)
    {
        IReadOnlyList<string> parts = HttpTokens.SplitList(element, ';');
        if (parts.Count == 0 || !HttpTokens.IsToken(parts[0]))
        {
            return null;
        }

        var parameters = new List<KeyValuePair<string, string?>>();
        for (int i = 1; i < parts.Count; i++)
        {
            string part = parts[i];
            int equals = part.IndexOf('=');
            string name = (equals < 0 ? part : part[..equals]).Trim();
            if (!HttpTokens.IsToken(name))
            {
                return null;
            }

            string? value = null;
            if (equals >= 0)
            {
                value = part[(equals + 1)..].Trim();
                if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
                {
                    value = value[1..^1];
                }

                // RFC 6455 9.1: a quoted value must still be a token after unquoting.
                if (!HttpTokens.IsToken(value))
                {
                    return null;
                }
            }

            parameters.Add(new KeyValuePair<string, string?>(name, value));
        }

        return new ExtensionOffer(parts[0], parameters);
    }
}
