using System.Globalization;
using Akka.Configuration;

namespace ActorSocket.Gateway.Configuration;

/// <summary>Builds the one HOCON tree: embedded defaults, then a file, then command-line flags.</summary>
public static class GatewayConfig
{
    /// <summary>The embedded default configuration text.</summary>
    public static string DefaultText
    {
        get
        {
            using Stream stream = typeof(GatewayConfig).Assembly.GetManifestResourceStream("ActorSocket.Gateway.default.conf")
                ?? throw new InvalidOperationException("The embedded default configuration is missing.");
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
    }

    /// <summary>Layers the configuration: <paramref name="options"/>' flags over its file over the defaults.</summary>
    public static Config Load(CommandLineOptions options)
    {
        Config config = ConfigurationFactory.ParseString(DefaultText);
        if (options.ConfigFile is not null)
        {
            if (!File.Exists(options.ConfigFile))
            {
                throw new ConfigurationException("Configuration file " + options.ConfigFile + " does not exist.");
            }

            config = ConfigurationFactory.ParseString(File.ReadAllText(options.ConfigFile)).WithFallback(config);
        }

        foreach (string hocon in options.HoconOverrides)
        {
            config = ConfigurationFactory.ParseString(hocon).WithFallback(config);
        }

        var flags = new List<string>();
        if (options.Host is not null)
        {
            flags.Add("actorsocket.host = " + Quote(options.Host));
        }

        if (options.Port is int port)
        {
            flags.Add("actorsocket.port = " + port.ToString(CultureInfo.InvariantCulture));
        }

        if (options.LogLevel is not null)
        {
            flags.Add("actorsocket.logging.level = \"" + options.LogLevel + "\"");
        }

        if (options.LogFormat is not null)
        {
            flags.Add("actorsocket.logging.format = \"" + options.LogFormat + "\"");
        }

        if (options.Cluster)
        {
            flags.Add("actorsocket.cluster.enabled = on");
        }

        if (options.ClusterHost is not null)
        {
            flags.Add("actorsocket.cluster.host = " + Quote(options.ClusterHost));
        }

        if (options.ClusterPort is int clusterPort)
        {
            flags.Add("actorsocket.cluster.port = " + clusterPort.ToString(CultureInfo.InvariantCulture));
        }

        if (options.SeedNodes.Count > 0)
        {
            flags.Add("actorsocket.cluster.seed-nodes = [" + string.Join(", ", options.SeedNodes.Select(Quote)) + "]");
        }

        if (options.Roles.Count > 0)
        {
            flags.Add("actorsocket.cluster.roles = [" + string.Join(", ", options.Roles.Select(Quote)) + "]");
        }

        return flags.Count == 0 ? config : ConfigurationFactory.ParseString(string.Join('\n', flags)).WithFallback(config);
    }

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
