using Akka.Event;

namespace ActorSocket.Gateway.Logging;

/// <summary>
/// Akka's "very basic logger" of startup and shutdown (<c>akka.stdout-logger-class</c>), made quiet.
/// Akka prints through it after its real loggers have stopped (the remoting terminator's last lines
/// in cluster mode), in a format of its own, even with <c>stdout-loglevel = OFF</c>: that broke
/// "one JSON event per line" on stdout. Our Serilog bridge carries everything that matters.
/// </summary>
internal sealed class QuietStdoutLogger : MinimalLogger
{
    /// <inheritdoc />
    protected override void Log(object message)
    {
    }
}
