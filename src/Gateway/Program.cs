using ActorSocket.Gateway;
using ActorSocket.Gateway.Configuration;
using Akka.Configuration;
using Microsoft.Extensions.Hosting;

if (CommandLineOptions.ParseSubcommand(args) is { } subcommand)
{
    return await subcommand.InvokeAsync(); // publish, subscribe, presence, history: a client of a running daemon
}

CommandLineOptions options;
Config config;
try
{
    options = CommandLineOptions.Parse(args);
    if (options.Help)
    {
        Console.Write(CommandLineOptions.Usage);
        return 0;
    }

    config = GatewayConfig.Load(options);
    GatewayOptions.From(config); // validate before anything starts
}
catch (Exception error) when (error is ArgumentException or ConfigurationException or FormatException)
{
    Console.Error.WriteLine("actorsocket: " + error.Message);
    return 2;
}

if (options.PrintConfig)
{
    Console.WriteLine(ActorSocket.Gateway.Configuration.RedactedConfig.Redact(config.GetConfig("actorsocket").Root.ToString(indent: 2)));
    return 0;
}

using IHost host = GatewayHost.Build(config);
await host.RunAsync();
return Environment.ExitCode; // 1 when the node was downed from its cluster
