using System.Globalization;
using ActorSocket.Actors.Cluster;
using Akka.Configuration;

namespace ActorSocket.Gateway.Configuration;

/// <summary>
/// The <c>actorsocket.cluster { ... }</c> section, and the Akka settings it stands for: the short keys
/// a user sets here become <c>akka.actor.provider</c>, remoting's host and port, seed nodes and roles.
/// </summary>
internal sealed record ClusterOptions
{
    /// <summary>The actor system's name, part of every node address.</summary>
    public const string SystemName = "actorsocket";

    /// <summary>Whether this node joins a cluster.</summary>
    public required bool Enabled { get; init; }

    /// <summary>Remoting bind address.</summary>
    public required string Host { get; init; }

    /// <summary>Remoting port; 0 picks a free one.</summary>
    public required int Port { get; init; }

    /// <summary>Address other nodes use to reach this one, when it differs from <see cref="Host"/>.</summary>
    public required string PublicHost { get; init; }

    /// <summary>Seed node addresses, normalized to <c>akka.tcp://actorsocket@host:port</c>.</summary>
    public required IReadOnlyList<string> SeedNodes { get; init; }

    /// <summary>This node's roles.</summary>
    public required IReadOnlyList<string> Roles { get; init; }

    /// <summary>Confirmation and batching of topics across nodes.</summary>
    public required ClusterTopicSettings Topics { get; init; }

    /// <summary>A PFX certificate for remoting over TLS; empty: remoting is plain TCP.</summary>
    public string TlsCertificate { get; init; } = string.Empty;

    /// <summary>The password of <see cref="TlsCertificate"/>.</summary>
    public string TlsPassword { get; init; } = string.Empty;

    /// <summary>Whether the peers' certificates are taken without validating their chain (self-signed certificates; encryption without authentication).</summary>
    public bool TlsSuppressValidation { get; init; }

    /// <summary>Reads <c>actorsocket.cluster</c>.</summary>
    public static ClusterOptions From(Config actorsocket)
    {
        Config c = actorsocket.GetConfig("cluster");
        int port = c.GetInt("port");
        if (port is < 0 or > 65535)
        {
            throw new ConfigurationException("actorsocket.cluster.port = " + port + " is outside 0..65535.");
        }

        string certificate = c.GetString("tls.certificate", string.Empty);
        return new ClusterOptions
        {
            Enabled = c.GetBoolean("enabled"),
            Host = c.GetString("host"),
            Port = port,
            PublicHost = c.GetString("public-host", string.Empty),
            SeedNodes = c.GetStringList("seed-nodes", []).Select(seed => NormalizeSeed(seed, tls: certificate.Length > 0)).ToList(),
            Roles = c.GetStringList("roles", []).ToList(),
            TlsCertificate = certificate,
            TlsPassword = c.GetString("tls.password", string.Empty),
            TlsSuppressValidation = c.GetBoolean("tls.suppress-validation", false),
            Topics = new ClusterTopicSettings
            {
                ConfirmTimeout = c.GetTimeSpan("confirm-timeout"),
                BatchMaxMessages = Math.Max(1, c.GetInt("batch-max-messages")),
                BatchMaxBytes = Math.Max(1, c.GetInt("batch-max-bytes")),
                OwnerTimeout = c.GetTimeSpan("owner-timeout", TimeSpan.FromSeconds(30)) is { } timeout && timeout > TimeSpan.Zero
                    ? timeout
                    : throw new ConfigurationException("actorsocket.cluster.owner-timeout must be positive."),
            },
        };
    }

    /// <summary>
    /// <c>host:port</c> becomes <c>akka.tcp://actorsocket@host:port</c> (<c>akka.ssl.tcp://</c> with
    /// remoting over TLS); a full address is kept.
    /// </summary>
    public static string NormalizeSeed(string seed, bool tls = false)
    {
        if (seed.Contains("://", StringComparison.Ordinal))
        {
            return seed;
        }

        int colon = seed.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(seed.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            throw new ConfigurationException("A seed node is host:port or akka.tcp://" + SystemName + "@host:port, not \"" + seed + "\".");
        }

        return (tls ? "akka.ssl.tcp://" : "akka.tcp://") + SystemName + "@" + seed;
    }

    /// <summary>The Akka settings these options stand for; empty when the cluster is off.</summary>
    public Config ToAkkaConfig()
    {
        if (!Enabled)
        {
            return Config.Empty;
        }

        var hocon = new System.Text.StringBuilder();
        hocon.AppendLine("akka.actor.provider = cluster");
        hocon.AppendLine("akka.remote.dot-netty.tcp.hostname = " + Quote(Host));
        hocon.AppendLine("akka.remote.dot-netty.tcp.port = " + Port.ToString(CultureInfo.InvariantCulture));
        if (PublicHost.Length > 0)
        {
            hocon.AppendLine("akka.remote.dot-netty.tcp.public-hostname = " + Quote(PublicHost));
        }

        if (TlsCertificate.Length > 0)
        {
            // Akka.Remote's DotNetty transport over TLS, with mutual authentication: each node
            // presents the certificate and checks the other's.
            hocon.AppendLine("akka.remote.dot-netty.tcp.enable-ssl = true");
            hocon.AppendLine("akka.remote.dot-netty.tcp.ssl.certificate.path = " + Quote(TlsCertificate));
            hocon.AppendLine("akka.remote.dot-netty.tcp.ssl.certificate.password = " + Quote(TlsPassword));
            hocon.AppendLine("akka.remote.dot-netty.tcp.ssl.suppress-validation = " + (TlsSuppressValidation ? "on" : "off"));
        }

        hocon.AppendLine("akka.cluster.seed-nodes = [" + string.Join(", ", SeedNodes.Select(Quote)) + "]");
        hocon.AppendLine("akka.cluster.roles = [" + string.Join(", ", Roles.Select(Quote)) + "]");
        hocon.AppendLine(TopicOwner.ClusterShardingDefaults); // owners of topics with history never rebalance
        return ConfigurationFactory.ParseString(hocon.ToString());
    }

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
