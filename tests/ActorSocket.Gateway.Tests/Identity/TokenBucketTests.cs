using ActorSocket.Actors.Identity;

namespace ActorSocket.Gateway.Tests.Identity;

/// <summary>Token buckets on a fake clock: the burst at once, then the rate, and the wait named exactly.</summary>
public class TokenBucketTests
{
    [Fact]
    public void A_bucket_allows_its_burst_at_once_then_its_rate_and_says_when_the_next_token_comes()
    {
        var limit = new RateLimit(PerSecond: 2, Burst: 3);
        var bucket = default(TokenBucket);
        long now = 1_000;
        for (int i = 0; i < 3; i++)
        {
            Assert.True(bucket.TryTake(limit, now, out _));
        }

        Assert.False(bucket.TryTake(limit, now, out long retryAfter));
        Assert.Equal(500, retryAfter); // 2 per second: the next in half a second

        now += 499;
        Assert.False(bucket.TryTake(limit, now, out retryAfter));
        Assert.Equal(1, retryAfter);
        now += 1;
        Assert.True(bucket.TryTake(limit, now, out _));

        // A long quiet spell refills up to the burst, never beyond.
        now += 60_000;
        for (int i = 0; i < 3; i++)
        {
            Assert.True(bucket.TryTake(limit, now, out _));
        }

        Assert.False(bucket.TryTake(limit, now, out _));
    }

    [Fact]
    public void A_fractional_rate_waits_seconds()
    {
        var limit = new RateLimit(PerSecond: 0.1, Burst: 1);
        var bucket = default(TokenBucket);
        Assert.True(bucket.TryTake(limit, 0, out _));
        Assert.False(bucket.TryTake(limit, 0, out long retryAfter));
        Assert.Equal(10_000, retryAfter);
    }
}
