using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;

namespace ActorSocket.Gateway.Configuration;

/// <summary>What the command line asked for; parsed by System.CommandLine.</summary>
public sealed record CommandLineOptions
{
    private static readonly Option<string?> ConfigOption = new("--config") { HelpName = "FILE", Description = "HOCON file over the embedded defaults (see Configuration/default.conf)" };
    private static readonly Option<string?> HostOption = new("--host") { HelpName = "ADDRESS", Description = "listen address (default 127.0.0.1; 0.0.0.0 or :: for every interface)" };
    private static readonly Option<int?> PortOption = new("--port") { HelpName = "PORT", Description = "listen port (default 8080; 0 picks a free port)", CustomParser = ParsePort };
    private static readonly Option<string[]> SetOption = new("--set") { HelpName = "'KEY = VALUE'", Description = "one HOCON line over the file, e.g. --set 'actorsocket.ping-interval = 5s'; repeatable" };
    private static readonly Option<string?> LogLevelOption = new("--log-level") { HelpName = "LEVEL", Description = "Verbose, Debug, Information, Warning or Error (default Information)" };
    private static readonly Option<string?> LogFormatOption = new("--log-format") { HelpName = "FORMAT", Description = "text (default) or json (compact JSON, one event per line)" };
    private static readonly Option<bool> ClusterOption = new("--cluster") { Description = "join a cluster: topics are shared with every node (actorsocket.cluster.enabled)" };
    private static readonly Option<string?> ClusterHostOption = new("--cluster-host") { HelpName = "ADDRESS", Description = "address Akka remoting binds to (default 127.0.0.1)" };
    private static readonly Option<int?> ClusterPortOption = new("--cluster-port") { HelpName = "PORT", Description = "remoting port (default 4053; 0 picks a free one)", CustomParser = ParsePort };
    private static readonly Option<string[]> SeedNodeOption = new("--seed-node") { HelpName = "HOST:PORT", Description = "a node to join; repeat for several (none: this node starts the cluster)" };
    private static readonly Option<string[]> RoleOption = new("--role") { HelpName = "NAME", Description = "a cluster role of this node; repeatable" };
    private static readonly Option<bool> PrintConfigOption = new("--print-config") { Description = "print the effective configuration (secrets redacted) and exit" };

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

    /// <summary>The usage text printed by <c>--help</c>.</summary>
    public static string Usage
    {
        get
        {
            ParseResult result = BuildCommand().Parse(["--help"]);
            using var writer = new StringWriter();
            result.Invoke(new InvocationConfiguration { Output = writer, Error = writer });
            return writer.ToString() + Environment.NewLine + "The address it listens on is printed as \"ActorSocket listening on ws://HOST:PORT\"." + Environment.NewLine;
        }
    }

    /// <summary>Parses <paramref name="args"/>; throws <see cref="ArgumentException"/> with a readable message on a mistake.</summary>
    public static CommandLineOptions Parse(IReadOnlyList<string> args)
    {
        ParseResult result = BuildCommand().Parse(args);
        if (result.Errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", result.Errors.Select(error => error.Message)) + " Try --help.");
        }

        return new CommandLineOptions
        {
            ConfigFile = result.GetValue(ConfigOption),
            Host = result.GetValue(HostOption),
            Port = result.GetValue(PortOption),
            LogLevel = ParseLevel(result.GetValue(LogLevelOption)),
            LogFormat = ParseFormat(result.GetValue(LogFormatOption)),
            HoconOverrides = result.GetValue(SetOption) ?? [],
            Cluster = result.GetValue(ClusterOption),
            ClusterHost = result.GetValue(ClusterHostOption),
            ClusterPort = result.GetValue(ClusterPortOption),
            SeedNodes = result.GetValue(SeedNodeOption) ?? [],
            Roles = result.GetValue(RoleOption) ?? [],
            PrintConfig = result.GetValue(PrintConfigOption),
            Help = result.Action is HelpAction,
        };
    }

    /// <summary>
    /// When <paramref name="args"/> name a subcommand (<c>publish</c>, <c>subscribe</c>,
    /// <c>presence</c>, <c>history</c>): its parse, to invoke (it prints its own help and errors);
    /// null for the daemon's own command line.
    /// </summary>
    internal static ParseResult? ParseSubcommand(IReadOnlyList<string> args)
    {
        ParseResult result = BuildCommand().Parse(args);
        return result.CommandResult.Command is RootCommand ? null : result;
    }

    private static RootCommand BuildCommand()
    {
        var root = new RootCommand("actorsocket: a realtime WebSocket server on Akka.NET. Without a subcommand it runs the daemon; the subcommands talk to a running one.")
        {
            ConfigOption,
            HostOption,
            PortOption,
            SetOption,
            LogLevelOption,
            LogFormatOption,
            ClusterOption,
            ClusterHostOption,
            ClusterPortOption,
            SeedNodeOption,
            RoleOption,
            PrintConfigOption,
        };
        foreach (Command command in Cli.ClientCommands.All())
        {
            root.Subcommands.Add(command);
        }

        root.SetAction(_ => 0); // the daemon itself: run by Program, not by the parser (a root without an action would demand a subcommand)
        return root;
    }

    private static int? ParsePort(ArgumentResult result)
    {
        string value = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int port) && port <= 65535)
        {
            return port;
        }

        result.AddError(((OptionResult)result.Parent!).Option.Name + " takes a number from 0 to 65535, not " + value + ".");
        return null;
    }

    private static string? ParseLevel(string? value) =>
        value is null or "Verbose" or "Debug" or "Information" or "Warning" or "Error" or "Fatal"
            ? value
            : throw new ArgumentException("--log-level takes Verbose, Debug, Information, Warning or Error, not " + value + ".");

    private static string? ParseFormat(string? value) =>
        value is null or "text" or "json" ? value : throw new ArgumentException("--log-format takes text or json, not " + value + ".");
}
