using ActorSocket.Actors.Handlers;
using ActorSocket.Actors.Identity;
using Akka.Configuration;

namespace ActorSocket.Gateway.Configuration;

/// <summary>The <c>actorsocket.pubsub.rate-limit</c> section and the per-namespace <c>rate-limit</c> keys: token buckets, off unless set.</summary>
internal static class RateLimitOptions
{
    /// <summary>The server-wide per-connection limits of the <c>actorsocket</c> section <paramref name="c"/>.</summary>
    public static RateLimits From(Config c) => new()
    {
        Requests = Read(c, "pubsub.rate-limit.requests-per-second", "pubsub.rate-limit.request-burst", null),
        Publishes = Read(c, "pubsub.rate-limit.publishes-per-second", "pubsub.rate-limit.publish-burst", null),
        UserPublishes = Read(c, "pubsub.rate-limit.user-publishes-per-second", "pubsub.rate-limit.user-publish-burst", null),
        ErrorBudget = c.GetInt("pubsub.rate-limit.error-budget", 50) is var budget and >= 1 and <= 1_000_000
            ? budget
            : throw new ConfigurationException("actorsocket.pubsub.rate-limit.error-budget must be in 1..1000000."),
    };

    /// <summary>
    /// A rate (per second, fractions allowed; 0: no limit) and its burst (0: the rate, at least 1)
    /// under <paramref name="rateKey"/> and <paramref name="burstKey"/>.
    /// </summary>
    public static RateLimit Read(Config c, string rateKey, string burstKey, string? path)
    {
        string prefix = path is null ? "actorsocket." : "actorsocket." + path + ".";
        double rate = c.HasPath(rateKey) ? c.GetDouble(rateKey) : 0;
        double burst = c.HasPath(burstKey) ? c.GetDouble(burstKey) : 0;
        if (!double.IsFinite(rate) || rate < 0)
        {
            throw new ConfigurationException(prefix + rateKey + " = " + rate + " must be a number >= 0 (0: no limit).");
        }

        if (!double.IsFinite(burst) || burst < 0)
        {
            throw new ConfigurationException(prefix + burstKey + " = " + burst + " must be a number >= 0 (0: the rate).");
        }

        return rate == 0 ? RateLimit.None : new RateLimit(rate, Math.Max(1, burst == 0 ? rate : burst));
    }
}
