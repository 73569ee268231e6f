namespace ActorSocket.Actors.Identity;

/// <summary>A rate and the burst allowed above it: a token bucket's shape. Zero rate: no limit.</summary>
/// <param name="PerSecond">Tokens added per second (requests allowed per second in the long run).</param>
/// <param name="Burst">Tokens the bucket holds at most (requests allowed at once after a quiet spell).</param>
internal readonly record struct RateLimit(double PerSecond, double Burst)
{
    /// <summary>No limit.</summary>
    public static RateLimit None => default;

    /// <summary>Whether this limits anything.</summary>
    public bool IsSet => PerSecond > 0;
}

/// <summary>
/// A token bucket on a clock in milliseconds that the caller passes (a fake one in tests): each
/// request takes one token, tokens come back at the limit's rate up to its burst. Not thread-safe:
/// one per connection, used on its actor's thread.
/// </summary>
internal struct TokenBucket
{
    private double _tokens;
    private long _at;
    private bool _started;

    /// <summary>Whether the bucket holds its whole burst at <paramref name="now"/> (a new bucket does): nothing to remember about it.</summary>
    public readonly bool IsFull(RateLimit limit, long now) =>
        !_started || _tokens + ((now - _at) * limit.PerSecond / 1000.0) >= limit.Burst;

    /// <summary>
    /// Takes one token at <paramref name="now"/> (ms) if there is one; otherwise the milliseconds
    /// until there will be, as <paramref name="retryAfterMs"/>.
    /// </summary>
    public bool TryTake(RateLimit limit, long now, out long retryAfterMs)
    {
        if (!_started)
        {
            _started = true;
            _tokens = limit.Burst;
            _at = now;
        }
        else if (now > _at)
        {
            _tokens = Math.Min(limit.Burst, _tokens + ((now - _at) * limit.PerSecond / 1000.0));
            _at = now;
        }

        if (_tokens >= 1)
        {
            _tokens -= 1;
            retryAfterMs = 0;
            return true;
        }

        retryAfterMs = Math.Max(1, (long)Math.Ceiling(((1 - _tokens) * 1000.0 / limit.PerSecond) - 1e-6));
        return false;
    }
}
