using ActorSocket.Gateway.Configuration;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace ActorSocket.Gateway.Logging;

/// <summary>The daemon's Serilog logger: readable console text by default, compact JSON on request.</summary>
internal static class SerilogSetup
{
    private const string TextTemplate = "[{Timestamp:HH:mm:ss.fff} {Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}";

    /// <summary>Creates the logger for <paramref name="options"/>.</summary>
    public static Serilog.Core.Logger CreateLogger(GatewayOptions options, Action<LoggerConfiguration>? configure = null)
    {
        var configuration = new LoggerConfiguration()
            .MinimumLevel.Is(Level(options.LogLevel))
            // The host's own chatter is not ours to show at Information.
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .Enrich.FromLogContext();
        configuration = options.LogFormat == "json"
            ? configuration.WriteTo.Console(new CompactJsonFormatter())
            : configuration.Enrich.With<ControlCharacterEscaper>().WriteTo.Console(outputTemplate: TextTemplate, formatProvider: System.Globalization.CultureInfo.InvariantCulture);
        configure?.Invoke(configuration);
        return configuration.CreateLogger();
    }

    /// <summary>The Serilog level named in configuration.</summary>
    public static LogEventLevel Level(string name) =>
        Enum.TryParse(name, ignoreCase: true, out LogEventLevel level) ? level : LogEventLevel.Information;

    /// <summary>The Akka log level matching a Serilog level, so Akka does not build events nobody keeps.</summary>
    public static Akka.Event.LogLevel AkkaLevel(string name) => Level(name) switch
    {
        LogEventLevel.Verbose or LogEventLevel.Debug => Akka.Event.LogLevel.DebugLevel,
        LogEventLevel.Information => Akka.Event.LogLevel.InfoLevel,
        LogEventLevel.Warning => Akka.Event.LogLevel.WarningLevel,
        _ => Akka.Event.LogLevel.ErrorLevel,
    };
}
