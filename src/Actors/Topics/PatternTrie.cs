namespace ActorSocket.Actors.Topics;

/// <summary>
/// Wildcard patterns (NATS semantics, see <see cref="Identity.TopicPattern"/>) by their tokens: the
/// namespace first, then each <c>.</c>-separated token, with <c>*</c> and <c>&gt;</c> as branches of
/// their own. Matching a topic walks its tokens, following at each level the literal branch, the
/// <c>*</c> branch and the <c>&gt;</c> ends: its cost depends on the topic's length and on how many
/// wildcards lie on its way, not on how many patterns there are. No pattern matches a user
/// channel (<c>ns:#user</c>). One value per pattern. Not thread-safe: its owner locks around it.
/// </summary>
/// <typeparam name="T">What each pattern stands for.</typeparam>
internal sealed class PatternTrie<T>
    where T : class
{
    private readonly Node _root = new();

    /// <summary>Patterns held.</summary>
    public int Count { get; private set; }

    /// <summary>Adds <paramref name="pattern"/> with its value, or replaces the value it has.</summary>
    public void Add(string pattern, T value)
    {
        Node node = _root;
        foreach (Token token in Tokens(pattern))
        {
            if (token.IsRest)
            {
                if (node.Rest is null)
                {
                    Count++;
                }

                node.Rest = value;
                return;
            }

            node = node.Child(pattern.Substring(token.Start, token.Length), create: true)!;
        }

        if (node.Here is null)
        {
            Count++;
        }

        node.Here = value;
    }

    /// <summary>Removes <paramref name="pattern"/>; false when it was not held. Branches left empty go with it.</summary>
    public bool Remove(string pattern)
    {
        var path = new List<(Node Parent, string Key)>();
        Node node = _root;
        bool removed;
        foreach (Token token in Tokens(pattern))
        {
            if (token.IsRest)
            {
                removed = node.Rest is not null;
                node.Rest = null;
                return removed && Pruned(path, node);
            }

            string key = pattern.Substring(token.Start, token.Length);
            Node? child = node.Child(key, create: false);
            if (child is null)
            {
                return false;
            }

            path.Add((node, key));
            node = child;
        }

        removed = node.Here is not null;
        node.Here = null;
        return removed && Pruned(path, node);
    }

    private bool Pruned(List<(Node Parent, string Key)> path, Node node)
    {
        Count--;
        for (int i = path.Count - 1; i >= 0 && node.IsEmpty; i--)
        {
            path[i].Parent.Drop(path[i].Key);
            node = path[i].Parent;
        }

        return true;
    }

    /// <summary>Adds the value of every pattern that <paramref name="topic"/> (a concrete topic) matches to <paramref name="into"/>.</summary>
    public void Match(string topic, List<T> into)
    {
        if (Count == 0)
        {
            return;
        }

        int colon = topic.IndexOf(':', StringComparison.Ordinal);
        ReadOnlySpan<char> space = colon < 0 ? [] : topic.AsSpan(0, colon);
        if (colon >= 0 && colon + 1 < topic.Length && topic[colon + 1] == '#')
        {
            return; // a user channel (ns:#user) is its user's alone: no pattern matches it
        }

        if (_root.Literal(space) is { } spaceNode)
        {
            Walk(spaceNode, topic.AsSpan(colon + 1), into);
        }
    }

    private static void Walk(Node node, ReadOnlySpan<char> rest, List<T> into)
    {
        // rest: the topic's tokens still to match, at least one.
        if (node.Rest is { } tail)
        {
            into.Add(tail); // > takes this token and all after it
        }

        int dot = rest.IndexOf('.');
        ReadOnlySpan<char> token = dot < 0 ? rest : rest[..dot];
        ReadOnlySpan<char> after = dot < 0 ? [] : rest[(dot + 1)..];
        bool last = dot < 0;
        if (node.Literal(token) is { } literal)
        {
            Step(literal, after, last, into);
        }

        if (node.Star is { } star)
        {
            Step(star, after, last, into);
        }
    }

    private static void Step(Node node, ReadOnlySpan<char> after, bool last, List<T> into)
    {
        if (last)
        {
            if (node.Here is { } here)
            {
                into.Add(here);
            }
        }
        else
        {
            Walk(node, after, into);
        }
    }

    /// <summary>The namespace (a first token, possibly empty), then the tokens after the <c>:</c>.</summary>
    private static List<Token> Tokens(string pattern)
    {
        var tokens = new List<Token>();
        int colon = pattern.IndexOf(':', StringComparison.Ordinal);
        tokens.Add(new Token(0, colon < 0 ? 0 : colon, IsRest: false));
        int at = colon + 1;
        while (true)
        {
            int dot = pattern.IndexOf('.', at);
            int end = dot < 0 ? pattern.Length : dot;
            bool rest = end - at == 1 && pattern[at] == '>';
            tokens.Add(new Token(at, end - at, rest));
            if (dot < 0 || rest)
            {
                return tokens;
            }

            at = dot + 1;
        }
    }

    private readonly record struct Token(int Start, int Length, bool IsRest);

    private sealed class Node
    {
        private Dictionary<string, Node>? _children;
        private Dictionary<string, Node>.AlternateLookup<ReadOnlySpan<char>> _lookup;

        /// <summary>The value of the pattern that ends at this node.</summary>
        public T? Here { get; set; }

        /// <summary>The value of the pattern that ends with <c>&gt;</c> after this node.</summary>
        public T? Rest { get; set; }

        /// <summary>The <c>*</c> branch.</summary>
        public Node? Star { get; private set; }

        public bool IsEmpty => Here is null && Rest is null && Star is null && (_children is null || _children.Count == 0);

        public Node? Literal(ReadOnlySpan<char> token) =>
            _children is not null && _lookup.TryGetValue(token, out Node? child) ? child : null;

        public Node? Child(string key, bool create)
        {
            if (key == "*")
            {
                return Star ??= create ? new Node() : null;
            }

            if (_children is null)
            {
                if (!create)
                {
                    return null;
                }

                _children = new Dictionary<string, Node>(StringComparer.Ordinal);
                _lookup = _children.GetAlternateLookup<ReadOnlySpan<char>>();
            }

            if (!_children.TryGetValue(key, out Node? child) && create)
            {
                child = new Node();
                _children.Add(key, child);
            }

            return child;
        }

        public void Drop(string key)
        {
            if (key == "*")
            {
                Star = null;
            }
            else
            {
                _children?.Remove(key);
            }
        }
    }
}
