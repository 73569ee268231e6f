namespace ActorSocket.Actors.Identity;

/// <summary>
/// Topic patterns with NATS semantics: after the namespace (the part before the first <c>:</c>), a
/// topic is tokens separated by <c>.</c>; in a pattern <c>*</c> stands for exactly one token and
/// <c>&gt;</c>, last, for one or more. Used for wildcard subscriptions and for the grants of tokens.
/// </summary>
internal static class TopicPattern
{
    /// <summary>Whether <paramref name="topic"/> has a <c>*</c> or <c>&gt;</c> token after its namespace.</summary>
    public static bool IsPattern(string topic)
    {
        ReadOnlySpan<char> rest = Rest(topic, out _);
        if (rest.IndexOfAny('*', '>') < 0)
        {
            return false;
        }

        foreach (Range range in rest.Split('.'))
        {
            ReadOnlySpan<char> token = rest[range];
            if (token is "*" or ">")
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Why <paramref name="pattern"/> is not a valid subscription in a namespace with wildcards, or
    /// null: its tokens must be non-empty, <c>*</c> and <c>&gt;</c> whole tokens, <c>&gt;</c> the last.
    /// </summary>
    public static string? Invalid(string pattern)
    {
        ReadOnlySpan<char> rest = Rest(pattern, out _);
        if (rest.IndexOfAny('*', '>') < 0)
        {
            return null; // a plain topic: any name
        }

        bool last = false;
        foreach (Range range in rest.Split('.'))
        {
            ReadOnlySpan<char> token = rest[range];
            if (last)
            {
                return "> must be the last token of a pattern";
            }

            if (token.IsEmpty)
            {
                return "a pattern has no empty tokens (.. or a leading or trailing .)";
            }

            if (token is ">")
            {
                last = true;
            }
            else if (token is not "*" && token.IndexOfAny('*', '>') >= 0)
            {
                return "* and > stand alone as tokens of a pattern, never inside one";
            }
        }

        return null;
    }

    /// <summary>Whether the concrete <paramref name="topic"/> matches <paramref name="pattern"/>.</summary>
    public static bool Matches(string pattern, string topic) => Covers(pattern, topic);

    /// <summary>
    /// Whether every topic that <paramref name="topic"/> stands for (itself when it is a concrete
    /// topic; each match when it is a pattern) matches <paramref name="grant"/>.
    /// </summary>
    public static bool Covers(string grant, string topic)
    {
        ReadOnlySpan<char> grantRest = Rest(grant, out ReadOnlySpan<char> grantSpace);
        ReadOnlySpan<char> topicRest = Rest(topic, out ReadOnlySpan<char> topicSpace);
        if (!grantSpace.SequenceEqual(topicSpace))
        {
            return false;
        }

        if (grantRest.IndexOfAny('*', '>') < 0)
        {
            return grantRest.SequenceEqual(topicRest); // an exact grant covers exactly that topic
        }

        int grantAt = 0, topicAt = 0;
        while (true)
        {
            bool grantEnded = !Next(grantRest, ref grantAt, out ReadOnlySpan<char> g);
            bool topicEnded = !Next(topicRest, ref topicAt, out ReadOnlySpan<char> t);
            if (grantEnded)
            {
                return topicEnded;
            }

            if (topicEnded)
            {
                return false;
            }

            if (g is ">")
            {
                return true; // one or more: the topic has at least this one
            }

            if (t is ">")
            {
                return false; // a pattern that goes further than the grant's one token
            }

            if (g is not "*" && !g.SequenceEqual(t))
            {
                return false; // a literal grant token covers only itself (not a * of the pattern)
            }
        }
    }

    private static ReadOnlySpan<char> Rest(string topic, out ReadOnlySpan<char> space)
    {
        int colon = topic.IndexOf(':', StringComparison.Ordinal);
        space = colon < 0 ? [] : topic.AsSpan(0, colon);
        return colon < 0 ? topic.AsSpan() : topic.AsSpan(colon + 1);
    }

    /// <summary>The token of <paramref name="text"/> that starts at <paramref name="at"/>, moving past it; false past the last.</summary>
    private static bool Next(ReadOnlySpan<char> text, ref int at, out ReadOnlySpan<char> token)
    {
        if (at > text.Length)
        {
            token = [];
            return false;
        }

        int dot = text[at..].IndexOf('.');
        int end = dot < 0 ? text.Length : at + dot;
        token = text[at..end];
        at = end + 1;
        return true;
    }
}
