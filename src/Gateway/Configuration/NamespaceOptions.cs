using ActorSocket.Actors.Topics;
using Akka.Configuration;

namespace ActorSocket.Gateway.Configuration;

/// <summary>
/// The <c>actorsocket.pubsub.default-namespace</c> and <c>actorsocket.pubsub.namespaces.&lt;name&gt;</c>
/// sections: each namespace read with the default namespace behind it, every value checked.
/// </summary>
internal static class NamespaceOptions
{
    /// <summary>The namespaces of the <c>actorsocket</c> section <paramref name="c"/>.</summary>
    public static NamespaceTable From(Config c)
    {
        Config defaults = c.GetConfig("pubsub.default-namespace") ?? Config.Empty;
        NamespaceSettings defaultNamespace = Read(defaults, string.Empty, "pubsub.default-namespace");
        var named = new List<NamespaceSettings>();
        Config? section = c.GetConfig("pubsub.namespaces");
        if (section is not null && !section.IsEmpty)
        {
            foreach (var entry in section.AsEnumerable())
            {
                string name = entry.Key.Trim('"');
                if (name.Length == 0 || name.Contains(':', StringComparison.Ordinal))
                {
                    throw new ConfigurationException($"actorsocket.pubsub.namespaces: \"{name}\" is not a namespace name (non-empty, without ':').");
                }

                Config space = section.GetConfig("\"" + name + "\"") ?? Config.Empty;
                named.Add(Read(space.WithFallback(defaults), name, "pubsub.namespaces." + name));
            }
        }

        return new NamespaceTable(defaultNamespace, named);
    }

    private static NamespaceSettings Read(Config space, string name, string path)
    {
        SlowConsumerPolicy slowConsumer = Choice(space.GetString("slow-consumer", "close"), path + ".slow-consumer", SlowConsumers);

        long maxBytes = space.HasPath("history.max-bytes") ? space.GetByteSize("history.max-bytes") ?? 0 : 1024 * 1024;
        return new NamespaceSettings
        {
            Name = name,
            HistorySize = Range(space.GetInt("history.size", 0), 0, 1_000_000, path + ".history.size"),
            HistoryTtl = Positive(space.GetTimeSpan("history.ttl", TimeSpan.FromMinutes(10)), path + ".history.ttl"),
            HistoryMaxBytes = maxBytes > 0 ? maxBytes : throw new ConfigurationException($"actorsocket.{path}.history.max-bytes must be a positive size."),
            HistoryDurable = space.GetBoolean("history.durable", false),
            Presence = space.GetBoolean("presence", false),
            JoinLeave = space.GetBoolean("join-leave", false),
            PresenceLeaveGrace = Between(space.GetTimeSpan("presence-leave-grace", TimeSpan.FromSeconds(5)), TimeSpan.Zero, TimeSpan.FromMinutes(5), path + ".presence-leave-grace"),
            PresenceMaxClients = Range(space.GetInt("presence-max-clients", 1000), 0, 1_000_000, path + ".presence-max-clients"),
            PresenceWindow = Between(space.GetTimeSpan("presence-window", TimeSpan.FromMilliseconds(200)), TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(5), path + ".presence-window"),
            Wildcards = space.GetBoolean("wildcards", false),
            AllowSubscribe = Choice(space.GetString("allow-subscribe", "anyone"), path + ".allow-subscribe", Permissions),
            AllowPublish = Choice(space.GetString("allow-publish", "anyone"), path + ".allow-publish", Permissions),
            AllowHistory = Choice(space.GetString("allow-history", "anyone"), path + ".allow-history", Permissions),
            AllowPresence = Choice(space.GetString("allow-presence", "anyone"), path + ".allow-presence", Permissions),
            SlowConsumer = slowConsumer,
            PrivatePrefix = PrivatePrefix(space.GetString("private-prefix", string.Empty), path + ".private-prefix"),
            PublishLimit = RateLimitOptions.Read(space, "rate-limit.publishes-per-second", "rate-limit.publish-burst", path),
        };
    }

    private static string PrivatePrefix(string value, string key) =>
        value.Contains('#', StringComparison.Ordinal) || value.Contains('.', StringComparison.Ordinal) || value.Length > 8
            ? throw new ConfigurationException($"actorsocket.{key} = \"{value}\": a short prefix such as \"$\" (no '#' or '.').")
            : value;

    private static readonly Dictionary<string, Permission> Permissions = new(StringComparer.Ordinal)
    {
        ["anyone"] = Permission.Anyone,
        ["authenticated"] = Permission.Authenticated,
        ["granted"] = Permission.Granted,
        ["nobody"] = Permission.Nobody,
    };

    private static readonly Dictionary<string, SlowConsumerPolicy> SlowConsumers = new(StringComparer.Ordinal)
    {
        ["close"] = SlowConsumerPolicy.Close,
        ["drop-oldest"] = SlowConsumerPolicy.DropOldest,
        ["latest"] = SlowConsumerPolicy.Latest,
    };

    private static T Choice<T>(string value, string key, Dictionary<string, T> choices) =>
        choices.TryGetValue(value, out T? choice)
            ? choice
            : throw new ConfigurationException($"actorsocket.{key} = {value}: expected one of {string.Join(", ", choices.Keys)}.");

    private static int Range(int value, int min, int max, string key) =>
        value >= min && value <= max ? value : throw new ConfigurationException($"actorsocket.{key} = {value} is outside {min}..{max}.");

    private static TimeSpan Between(TimeSpan value, TimeSpan min, TimeSpan max, string key) =>
        value >= min && value <= max ? value : throw new ConfigurationException($"actorsocket.{key} = {value} is outside {min}..{max}.");

    private static TimeSpan Positive(TimeSpan value, string key) =>
        value > TimeSpan.Zero ? value : throw new ConfigurationException($"actorsocket.{key} must be positive.");
}
