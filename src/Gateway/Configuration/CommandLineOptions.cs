using System.Globalization;

namespace ActorSocket.Gateway.Configuration;

/// <summary>What the command line asked for.</summary>
public sealed record CommandLineOptions
{
    /// <summary>The usage text printed by <c>--help</c>.</summary>
    public const string Usage = """
        actorsocket: a realtime WebSocket server on Akka.NET

        Usage: actorsocket [options]

          --config FILE        HOCON file over the embedded defaults (see Configuration/default.conf)
          --host ADDRESS       listen address (default 127.0.0.1; 0.0.0.0 or :: for every interface)
          --port PORT          listen port (default 8080; 0 picks a free port)
          --set 'KEY = VALUE'  one HOCON line over the file, e.g. --set 'actorsocket.ping-interval = 5s'
          --log-level LEVEL    Verbose, Debug, Information, Warning or Error (default Information)
          --log-format FORMAT  text (default) or json (compact JSON, one event per line)
          --cluster            join a cluster: topics are shared with every node (actorsocket.cluster.enabled)
          --cluster-host ADDR  address Akka remoting binds to (default 127.0.0.1)
          --cluster-port PORT  remoting port (default 4053; 0 picks a free one)
          --seed-node H:P      a node to join; repeat for several (none: this node starts the cluster)
          --role NAME          a cluster role of this node; repeatable
          --print-config       print the effective configuration and exit
          --help               this text

        The address it listens on is printed as "ActorSocket listening on ws://HOST:PORT".
        """;

    /// <summary>A HOCON file to overlay.</summary>
    public string? ConfigFile { get; init; }

    /// <summary>Host override.</summary>
    public string? Host { get; init; }

    /// <summary>Port override.</summary>
    public int? Port { get; init; }

    /// <summary>Log level override.</summary>
    public string? LogLevel { get; init; }

    /// <summary>Log format override.</summary>
    public string? LogFormat { get; init; }

    /// <summary>Whether --cluster was given.</summary>
    public bool Cluster { get; init; }

    /// <summary>Remoting host override.</summary>
    public string? ClusterHost { get; init; }

    /// <summary>Remoting port override.</summary>
    public int? ClusterPort { get; init; }

    /// <summary>Seed nodes given with --seed-node.</summary>
    public IReadOnlyList<string> SeedNodes { get; init; } = [];

    /// <summary>Roles given with --role.</summary>
    public IReadOnlyList<string> Roles { get; init; } = [];

    /// <summary>HOCON lines given with --set.</summary>
    public IReadOnlyList<string> HoconOverrides { get; init; } = [];

    /// <summary>Whether --help was given.</summary>
    public bool Help { get; init; }

    /// <summary>Whether --print-config was given.</summary>
    public bool PrintConfig { get; init; }

    /// <summary>Parses <paramref name="args"/>; throws <see cref="ArgumentException"/> with a readable message on a mistake.</summary>
    public static CommandLineOptions Parse(IReadOnlyList<string> args)
    {
        var options = new CommandLineOptions();
        var overrides = new List<string>();
        var seeds = new List<string>();
        var roles = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException(arg + " needs a value.");
            options = arg switch
            {
                "--config" => options with { ConfigFile = Value() },
                "--host" => options with { Host = Value() },
                "--port" => options with { Port = ParsePort(arg, Value()) },
                "--log-level" => options with { LogLevel = ParseLevel(Value()) },
                "--log-format" => options with { LogFormat = ParseFormat(Value()) },
                "--set" => Add(options, overrides, Value()),
                "--cluster" => options with { Cluster = true },
                "--cluster-host" => options with { ClusterHost = Value() },
                "--cluster-port" => options with { ClusterPort = ParsePort(arg, Value()) },
                "--seed-node" => Add(options, seeds, Value()),
                "--role" => Add(options, roles, Value()),
                "--print-config" => options with { PrintConfig = true },
                "--help" or "-h" => options with { Help = true },
                _ => throw new ArgumentException("Unknown option " + arg + ". Try --help."),
            };
        }

        return options with { HoconOverrides = overrides, SeedNodes = seeds, Roles = roles };
    }

    private static CommandLineOptions Add(CommandLineOptions options, List<string> overrides, string line)
    {
        overrides.Add(line);
        return options;
    }

    private static int ParsePort(string flag, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port <= 65535
            ? port
            : throw new ArgumentException(flag + " takes a number from 0 to 65535, not " + value + ".");

    private static string ParseLevel(string value) =>
        value is "Verbose" or "Debug" or "Information" or "Warning" or "Error" or "Fatal"
            ? value
            : throw new ArgumentException("--log-level takes Verbose, Debug, Information, Warning or Error, not " + value + ".");

    private static string ParseFormat(string value) =>
        value is "text" or "json" ? value : throw new ArgumentException("--log-format takes text or json, not " + value + ".");
}
