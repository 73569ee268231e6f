namespace ActorSocket.Client;

/// <summary>
/// The wait before reconnect attempt <c>n</c> (0 for the first after a loss): full jitter above a
/// floor, <c>floor + random × (min(cap, floor × 2^(n+1)) − floor)</c>. A crowd of clients that lost
/// their server at once spreads its reconnects over the whole window instead of arriving together,
/// and no client waits less than the floor.
/// </summary>
public static class ReconnectBackoff
{
    /// <summary>The wait before attempt <paramref name="attempt"/>.</summary>
    /// <param name="attempt">Attempts made since the last stable connection.</param>
    /// <param name="floor">The shortest wait.</param>
    /// <param name="cap">The longest wait.</param>
    /// <param name="random">A number in [0, 1).</param>
    public static TimeSpan Delay(int attempt, TimeSpan floor, TimeSpan cap, double random)
    {
        if (cap < floor)
        {
            cap = floor;
        }

        double upper = Math.Min(cap.TotalMilliseconds, floor.TotalMilliseconds * Math.Pow(2, Math.Min(attempt + 1, 30)));
        return TimeSpan.FromMilliseconds(floor.TotalMilliseconds + (random * (upper - floor.TotalMilliseconds)));
    }

    /// <summary>
    /// Whether a connection that ended this way is worth another attempt: yes for lost connections,
    /// restarts and server-side trouble (1001, 1006, 1008, 1011, 1012, 1013, 503, 429, 502, 504);
    /// no for what another attempt would repeat (protocol errors 1002, 1003, 1007, 1009, 1010;
    /// 3002, the backend disconnected this user; 4xx refusals); the token's closes (3000, 3001,
    /// 401, 403) only when a token provider can give a new token.
    /// </summary>
    /// <param name="code">The close code or HTTP status; null: lost without either.</param>
    /// <param name="hasTokenProvider">Whether a fresh token can be had.</param>
    public static bool WorthRetrying(int? code, bool hasTokenProvider) => code switch
    {
        null => true,
        1000 or 1001 or 1005 or 1006 or 1008 or 1011 or 1012 or 1013 or 1014 => true,
        1002 or 1003 or 1007 or 1009 or 1010 or 1015 => false,
        3000 or 3001 or 401 or 403 => hasTokenProvider,
        3002 => false,
        429 or 500 or 502 or 503 or 504 => true,
        >= 400 and < 500 => false,
        _ => true,
    };
}
