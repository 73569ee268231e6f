namespace ActorSocket.Gateway.Configuration;

/// <summary>
/// The effective <c>actorsocket</c> section as <c>--print-config</c> shows it: secrets replaced
/// (the TLS password, route tokens and passwords, JWT secrets, API keys, the history store's
/// connection string), so that the output can
/// be pasted into an issue or a log.
/// </summary>
internal static class RedactedConfig
{
    private const string Redacted = "\"<redacted>\"";

    /// <summary>Redacts the text Akka's HOCON printer gives (one <c>key : value</c> or <c>key : {</c> per line).</summary>
    public static string Redact(string printed)
    {
        var path = new List<string>();
        var lines = printed.Split('\n');
        int tokens = 0;
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            string trimmed = line.Trim();
            if (trimmed == "}")
            {
                if (path.Count > 0)
                {
                    path.RemoveAt(path.Count - 1);
                }

                continue;
            }

            int colon = trimmed.IndexOf(" : ", StringComparison.Ordinal);
            if (colon < 0)
            {
                continue;
            }

            string key = trimmed[..colon];
            string value = trimmed[(colon + 3)..];
            string indent = line[..(line.Length - line.TrimStart().Length)];
            if (value == "{")
            {
                path.Add(key);
                continue;
            }

            if (Under(path, "auth", "tokens"))
            {
                lines[i] = indent + "\"<token " + (++tokens) + " redacted>\" : " + value; // the token is the key
            }
            else if (Under(path, "auth", "users") || (Under(path, "tls") && key == "password") || key is "hs256-secrets" or "secret"
                || (Under(path, "api") && key == "keys") || (Under(path, "history-store") && key == "connection-string"))
            {
                lines[i] = indent + key + " : " + (value.Length == 0 ? value : Redacted);
            }
        }

        return string.Join('\n', lines);
    }

    private static bool Under(List<string> path, params string[] tail)
    {
        if (path.Count < tail.Length)
        {
            return false;
        }

        for (int i = 0; i < tail.Length; i++)
        {
            if (path[path.Count - tail.Length + i] != tail[i])
            {
                return false;
            }
        }

        return true;
    }
}
