using ActorSocket.Gateway.Api;
using Akka.Configuration;

namespace ActorSocket.Gateway.Configuration;

/// <summary>Reads <c>actorsocket.api</c> and the <c>ACTORSOCKET_API_KEYS</c> environment variable.</summary>
internal static class ApiOptions
{
    /// <summary>The environment variable whose comma-separated keys join <c>api.keys</c> (so that keys need not be in a file).</summary>
    public const string KeysVariable = "ACTORSOCKET_API_KEYS";

    /// <summary>The API settings of <paramref name="c"/> (the <c>actorsocket</c> section).</summary>
    public static ApiSettings From(Config c, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var keys = new List<string>();
        if (c.HasPath("api.keys"))
        {
            Akka.Configuration.Hocon.HoconValue? value = c.GetValue("api.keys");
            keys.AddRange(value is null || value.IsEmpty ? [] : value.IsString() ? [value.GetString()] : c.GetStringList("api.keys", []));
        }

        if (environment(KeysVariable) is { Length: > 0 } fromEnvironment)
        {
            keys.AddRange(fromEnvironment.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
        }

        foreach (string key in keys)
        {
            if (key.Trim().Length == 0 || key.Trim() != key || key.Length > 256)
            {
                // Never the key itself in the message: it would end up in a log.
                throw new ConfigurationException("actorsocket.api.keys: every key must be a non-empty string of at most 256 characters without surrounding spaces.");
            }
        }

        long body = c.HasPath("api.max-body-size") ? c.GetByteSize("api.max-body-size") ?? 0 : 1024 * 1024;
        TimeSpan timeout = c.HasPath("api.timeout") ? c.GetTimeSpan("api.timeout") : TimeSpan.FromSeconds(5);
        int port = c.HasPath("api.port") ? c.GetInt("api.port") : 0;
        string host = c.HasPath("api.host") ? c.GetString("api.host") : string.Empty;
        return new ApiSettings
        {
            Keys = keys.Distinct(StringComparer.Ordinal).ToList(),
            MaxBodyBytes = body is >= 1024 and <= 64 * 1024 * 1024 ? (int)body : throw new ConfigurationException("actorsocket.api.max-body-size must be 1 KiB to 64 MiB."),
            Timeout = timeout > TimeSpan.Zero && timeout <= TimeSpan.FromMinutes(5) ? timeout : throw new ConfigurationException("actorsocket.api.timeout must be positive and at most 5 minutes."),
            Port = port switch
            {
                0 => null,
                >= 1 and <= 65535 => port,
                _ => throw new ConfigurationException("actorsocket.api.port must be 0 (the daemon's port) or a port from 1 to 65535."),
            },
            Host = host.Length > 0 ? host : null,
        };
    }
}
