using ActorSocket.Actors.Identity;
using ActorSocket.Actors.Topics;

namespace ActorSocket.Actors.Tests.Topics;

/// <summary>The trie that finds the wildcard patterns a topic matches, checked against the one-pattern-at-a-time rule.</summary>
public sealed class PatternTrieTests
{
    private static List<string> Match(PatternTrie<string> trie, string topic)
    {
        var found = new List<string>();
        trie.Match(topic, found);
        found.Sort(StringComparer.Ordinal);
        return found;
    }

    private static PatternTrie<string> Of(params string[] patterns)
    {
        var trie = new PatternTrie<string>();
        foreach (string pattern in patterns)
        {
            trie.Add(pattern, pattern);
        }

        return trie;
    }

    [Theory]
    [InlineData("sensors:eu.berlin.temp", "sensors:*.*.temp,sensors:>,sensors:eu.*.temp,sensors:eu.>,sensors:eu.berlin.*")]
    [InlineData("sensors:eu.berlin", "sensors:>,sensors:eu.>,sensors:eu.berlin")]
    [InlineData("sensors:eu", "sensors:>")]
    [InlineData("sensors:us.nyc.temp", "sensors:*.*.temp,sensors:>")]
    [InlineData("other:eu.berlin.temp", "")]
    [InlineData("eu.berlin.temp", "*.*.temp")]
    public void A_topic_matches_exactly_the_patterns_nats_says_it_does(string topic, string expected)
    {
        string[] patterns = ["sensors:>", "sensors:eu.>", "sensors:eu.*.temp", "sensors:*.*.temp", "sensors:eu.berlin.*", "sensors:eu.berlin.temp.>", "*.*.temp", "sensors:eu.berlin"];
        PatternTrie<string> trie = Of(patterns);
        List<string> want = expected.Length == 0 ? [] : [.. expected.Split(',').Order(StringComparer.Ordinal)];

        Assert.Equal(want, Match(trie, topic));

        // The same answer as asking each pattern on its own.
        Assert.Equal([.. patterns.Where(p => TopicPattern.Matches(p, topic)).Order(StringComparer.Ordinal)], Match(trie, topic));
    }

    [Fact]
    public void Random_patterns_and_topics_agree_with_the_pattern_by_pattern_rule()
    {
        var random = new Random(1234);
        string[] words = ["a", "b", "c", "dd"];
        string Token(bool wild) => wild && random.Next(4) == 0 ? "*" : words[random.Next(words.Length)];
        var patterns = new HashSet<string>(StringComparer.Ordinal);
        while (patterns.Count < 300)
        {
            int length = random.Next(1, 5);
            var tokens = Enumerable.Range(0, length).Select(_ => Token(wild: true)).ToList();
            if (random.Next(3) == 0)
            {
                tokens[^1] = ">";
            }

            patterns.Add("ns:" + string.Join('.', tokens));
        }

        PatternTrie<string> trie = Of([.. patterns]);
        for (int i = 0; i < 2000; i++)
        {
            string topic = "ns:" + string.Join('.', Enumerable.Range(0, random.Next(1, 6)).Select(_ => Token(wild: false)));
            Assert.Equal([.. patterns.Where(p => TopicPattern.Matches(p, topic)).Order(StringComparer.Ordinal)], Match(trie, topic));
        }
    }

    [Fact]
    public void A_removed_pattern_matches_nothing_and_its_neighbours_still_match()
    {
        PatternTrie<string> trie = Of("ns:a.>", "ns:a.*", "ns:a.b", "ns:a.b.c");
        Assert.True(trie.Remove("ns:a.>"));
        Assert.False(trie.Remove("ns:a.>")); // once
        Assert.Equal(["ns:a.*", "ns:a.b"], Match(trie, "ns:a.b"));
        Assert.Empty(Match(trie, "ns:a.b.d"));
        Assert.True(trie.Remove("ns:a.b.c"));
        Assert.True(trie.Remove("ns:a.*"));
        Assert.True(trie.Remove("ns:a.b"));
        Assert.Equal(0, trie.Count);
        Assert.Empty(Match(trie, "ns:a.b"));
        Assert.False(trie.Remove("ns:x.y"));
    }

    [Fact]
    public void No_pattern_matches_a_user_channel()
    {
        PatternTrie<string> trie = Of("inbox:>", "inbox:*");
        Assert.Empty(Match(trie, "inbox:#ann"));
        Assert.Equal(["inbox:*", "inbox:>"], Match(trie, "inbox:ann"));
    }
}
