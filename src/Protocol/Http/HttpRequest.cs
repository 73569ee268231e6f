namespace ActorSocket.Protocol.Http;

/// <summary>
/// A parsed HTTP/1.1 request head: what a handshake hook and a handler see of the client's request.
/// </summary>
/// <remarks>Immutable once parsed; safe to share between actors.</remarks>
public sealed class HttpRequest
{
    private IReadOnlyDictionary<string, string>? _cookies;
    private IReadOnlyDictionary<string, string>? _query;
    private IReadOnlyList<string>? _subProtocols;
    private IReadOnlyList<ExtensionOffer>? _extensions;

    /// <summary>Creates a request value (the parser's output; also handy in tests).</summary>
    public HttpRequest(string method, string target, string version, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        Method = method;
        Target = target;
        Version = version;
        Headers = headers;
        int question = target.IndexOf('?');
        Path = question < 0 ? target : target[..question];
        QueryString = question < 0 ? string.Empty : target[(question + 1)..];
    }

    /// <summary>The method, such as <c>GET</c>.</summary>
    public string Method { get; }

    /// <summary>The request target as sent: path and query.</summary>
    public string Target { get; }

    /// <summary>The path part of the target, as sent (not percent-decoded).</summary>
    public string Path { get; }

    /// <summary>The query string after <c>?</c>, as sent; empty when there is none.</summary>
    public string QueryString { get; }

    /// <summary>The protocol version, such as <c>HTTP/1.1</c>.</summary>
    public string Version { get; }

    /// <summary>Every header line in order, names as sent; values decoded as ISO-8859-1 and trimmed.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    /// <summary>
    /// The request's body, for a plain HTTP route that takes one (the server API); empty otherwise,
    /// and always empty for a WebSocket upgrade. Set once, when the whole body has been read and
    /// before the request is handed to anyone.
    /// </summary>
    public ReadOnlyMemory<byte> Body { get; internal set; }

    /// <summary>The <c>Host</c> header, or null.</summary>
    public string? Host => GetHeader("Host");

    /// <summary>The <c>Origin</c> header, or null (non-browser clients usually send none).</summary>
    public string? Origin => GetHeader("Origin");

    /// <summary>Whether the request asks to upgrade to WebSocket (an <c>Upgrade</c> header listing <c>websocket</c>).</summary>
    public bool IsWebSocketUpgrade
    {
        get
        {
            foreach (string value in GetHeaderValues("Upgrade"))
            {
                if (HttpTokens.ListContains(value, "websocket"))
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Cookies from every <c>Cookie</c> header (RFC 6265 5.4); the first of a repeated name wins.</summary>
    public IReadOnlyDictionary<string, string> Cookies => _cookies ??= ParseCookies();

    /// <summary>Query parameters, percent-decoded (<c>+</c> as space); the first of a repeated name wins.</summary>
    public IReadOnlyDictionary<string, string> Query => _query ??= ParseQuery(QueryString);

    /// <summary>Subprotocols the client offered in <c>Sec-WebSocket-Protocol</c>, in its order of preference.</summary>
    public IReadOnlyList<string> SubProtocols => _subProtocols ??= ParseList("Sec-WebSocket-Protocol");

    /// <summary>Extensions the client offered in <c>Sec-WebSocket-Extensions</c>, in order.</summary>
    public IReadOnlyList<ExtensionOffer> Extensions => _extensions ??= ExtensionOffer.ParseAll(GetHeaderValues("Sec-WebSocket-Extensions"));

    /// <summary>The first value of header <paramref name="name"/> (case-insensitive), or null.</summary>
    public string? GetHeader(string name)
    {
        foreach (KeyValuePair<string, string> header in Headers)
        {
            if (string.Equals(header.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                return header.Value;
            }
        }

        return null;
    }

    /// <summary>Every value of header <paramref name="name"/> (case-insensitive), in order.</summary>
    public IEnumerable<string> GetHeaderValues(string name)
    {
        foreach (KeyValuePair<string, string> header in Headers)
        {
            if (string.Equals(header.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                yield return header.Value;
            }
        }
    }

    /// <summary>How many header lines carry <paramref name="name"/>.</summary>
    public int CountHeader(string name)
    {
        int count = 0;
        foreach (KeyValuePair<string, string> header in Headers)
        {
            if (string.Equals(header.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                count++;
            }
        }

        return count;
    }

    /// <inheritdoc />
    /// <remarks>The query's values are left out (<c>?access_token=…</c>): a request handed to a plugin that logs it must not print credentials.</remarks>
    public override string ToString()
    {
        int question = Target.IndexOf('?');
        if (question < 0)
        {
            return Method + " " + Target + " " + Version;
        }

        var redacted = new System.Text.StringBuilder(Target, 0, question + 1, Target.Length);
        string[] pairs = Target[(question + 1)..].Split('&');
        for (int i = 0; i < pairs.Length; i++)
        {
            int equals = pairs[i].IndexOf('=');
            redacted.Append(i == 0 ? string.Empty : "&").Append(equals < 0 ? pairs[i] : pairs[i][..equals] + "=…");
        }

        return Method + " " + redacted + " " + Version;
    }

    private IReadOnlyList<string> ParseList(string name)
    {
        var items = new List<string>();
        foreach (string value in GetHeaderValues(name))
        {
            items.AddRange(HttpTokens.SplitList(value, ','));
        }

        return items;
    }

    private Dictionary<string, string> ParseCookies()
    {
        var cookies = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string header in GetHeaderValues("Cookie"))
        {
            foreach (string pair in header.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                int equals = pair.IndexOf('=');
                if (equals <= 0)
                {
                    continue;
                }

                string value = pair[(equals + 1)..].Trim();
                if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
                {
                    value = value[1..^1];
                }

                cookies.TryAdd(pair[..equals].Trim(), value);
            }
        }

        return cookies;
    }

    private static Dictionary<string, string> ParseQuery(string query)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = pair.IndexOf('=');
            string name = Decode(equals < 0 ? pair : pair[..equals]);
            string value = equals < 0 ? string.Empty : Decode(pair[(equals + 1)..]);
            parameters.TryAdd(name, value);
        }

        return parameters;

        static string Decode(string text) => Uri.UnescapeDataString(text.Replace('+', ' '));
    }
}
