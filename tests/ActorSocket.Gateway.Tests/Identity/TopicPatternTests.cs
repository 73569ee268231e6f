using ActorSocket.Actors.Identity;

namespace ActorSocket.Gateway.Tests.Identity;

/// <summary>NATS-style patterns: which topics they match, which grants cover them, which are malformed.</summary>
public class TopicPatternTests
{
    [Theory]
    [InlineData("sensors:eu.*.temp", "sensors:eu.berlin.temp", true)]
    [InlineData("sensors:eu.*.temp", "sensors:eu.berlin.rain", false)]
    [InlineData("sensors:eu.*.temp", "sensors:eu.berlin.x.temp", false)]
    [InlineData("sensors:eu.>", "sensors:eu.berlin", true)]
    [InlineData("sensors:eu.>", "sensors:eu.berlin.temp", true)]
    [InlineData("sensors:eu.>", "sensors:eu", false)]
    [InlineData("sensors:>", "sensors:anything.at.all", true)]
    [InlineData("sensors:eu.>", "other:eu.berlin", false)]
    [InlineData("room:*", "room:lobby", true)]
    [InlineData("room:*", "room:a.b", false)]
    [InlineData("room:lobby", "room:lobby", true)]
    [InlineData("room:lobby", "room:lobby2", false)]
    [InlineData("*", "lobby", true)]
    [InlineData("*", "room:lobby", false)]
    public void A_pattern_matches_the_topics_of_its_namespace_token_by_token(string pattern, string topic, bool matches) =>
        Assert.Equal(matches, TopicPattern.Matches(pattern, topic));

    [Theory]
    [InlineData("sensors:eu.>", "sensors:eu.*.temp", true)]
    [InlineData("sensors:eu.>", "sensors:eu.>", true)]
    [InlineData("sensors:>", "sensors:eu.>", true)]
    [InlineData("sensors:eu.*", "sensors:eu.>", false)]
    [InlineData("sensors:eu.*.temp", "sensors:eu.*.temp", true)]
    [InlineData("sensors:eu.berlin.temp", "sensors:eu.*.temp", false)]
    [InlineData("sensors:eu.*.*", "sensors:eu.*.temp", true)]
    [InlineData("sensors:eu.*", "sensors:eu.*.temp", false)]
    [InlineData("sensors:us.>", "sensors:eu.>", false)]
    public void A_grant_covers_a_pattern_only_when_it_covers_every_topic_the_pattern_can_match(string grant, string pattern, bool covers) =>
        Assert.Equal(covers, TopicPattern.Covers(grant, pattern));

    [Theory]
    [InlineData("sensors:a.>.b", "last")]
    [InlineData("sensors:a..*", "empty")]
    [InlineData("sensors:.*", "empty")]
    [InlineData("sensors:a.*.", "empty")]
    [InlineData("sensors:a>", "inside")]
    [InlineData("sensors:eu*.temp", "inside")]
    public void Malformed_patterns_are_named(string pattern, string why) =>
        Assert.Contains(why, TopicPattern.Invalid(pattern), StringComparison.Ordinal);

    [Theory]
    [InlineData("sensors:eu.*.temp", true)]
    [InlineData("sensors:eu.>", true)]
    [InlineData("sensors:eu*", false)]
    [InlineData("room:lobby", false)]
    [InlineData("*:lobby", false)]
    public void Only_whole_star_and_greater_tokens_make_a_pattern(string topic, bool pattern)
    {
        Assert.Equal(pattern, TopicPattern.IsPattern(topic));
        if (pattern)
        {
            Assert.Null(TopicPattern.Invalid(topic));
        }
    }
}
