namespace ActorSocket.Protocol.Http;

/// <summary>Small helpers for the token grammar of RFC 9110 5.6.</summary>
internal static class HttpTokens
{
    /// <summary>RFC 9110 5.6.2: tchar = "!" / "#" / "$" / "%" / "&amp;" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA.</summary>
    public static bool IsTokenChar(int c) =>
        c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9')
            or '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '-' or '.' or '^' or '_' or '`' or '|' or '~';

    public static bool IsToken(ReadOnlySpan<char> value)
    {
        if (value.IsEmpty)
        {
            return false;
        }

        foreach (char c in value)
        {
            if (!IsTokenChar(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Splits a list on <paramref name="separator"/> outside quoted strings, trimming and dropping empty elements (RFC 9110 5.6.1).</summary>
    public static IReadOnlyList<string> SplitList(string value, char separator)
    {
        var items = new List<string>();
        int start = 0;
        bool quoted = false;
        for (int i = 0; i <= value.Length; i++)
        {
            if (i < value.Length)
            {
                char c = value[i];
                if (c == '"')
                {
                    quoted = !quoted;
                }
                else if (c == '\\' && quoted)
                {
                    i++;
                }

                if (c != separator || quoted)
                {
                    continue;
                }
            }

            string item = value[start..Math.Min(i, value.Length)].Trim();
            if (item.Length > 0)
            {
                items.Add(item);
            }

            start = i + 1;
        }

        return items;
    }

    /// <summary>Whether a comma-separated header value contains <paramref name="token"/>, case-insensitively.</summary>
    public static bool ListContains(string value, string token)
    {
        foreach (string item in SplitList(value, ','))
        {
            if (string.Equals(item, token, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
