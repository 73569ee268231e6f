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
            flags.Add("actorsocket.host = \"" + options.Host + "\"");
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

        return flags.Count == 0 ? config : ConfigurationFactory.ParseString(string.Join('\n', flags)).WithFallback(config);
    }
}
