using Akka.Event;

namespace ActorSocket.Gateway.Tests;

public class AkkaLoggingTests
{
    [Fact]
    public async Task Akkas_own_stdout_logger_is_the_quiet_one()
    {
        // Its shutdown lines would otherwise interleave Akka's text format with our JSON on stdout
        // (a race at exit: DaemonProcessTests checks the whole output of a cluster node too).
        await using TestServer server = await TestServer.StartAsync();
        Assert.IsType<ActorSocket.Gateway.Logging.QuietStdoutLogger>(server.System.Settings.StdoutLogger);
    }

    [Fact]
    public async Task Akka_named_templates_pass_through_unchanged()
    {
        await using TestServer server = await TestServer.StartAsync();
        ILoggingAdapter log = Akka.Event.Logging.GetLogger(server.System, "bridge-test");
        log.Warning("Connection {ConnectionId} went {Direction}", 42, "away");
        // Akka's log events reach Serilog through its logger actor, asynchronously: wait for this one.
        Assert.True(SpinWait.SpinUntil(() => server.LogEvents.Any(e => e.RenderMessage().Contains("went", StringComparison.Ordinal)), TimeSpan.FromSeconds(10)));
        var line = server.LogEvents.Single(e => e.RenderMessage().Contains("went", StringComparison.Ordinal));
        Assert.Equal("42", line.Properties["ConnectionId"].ToString());
        Assert.Equal("\"away\"", line.Properties["Direction"].ToString());
    }

    [Fact]
    public async Task Akka_positional_templates_render_with_their_values_in_place()
    {
        await using TestServer server = await TestServer.StartAsync();
        ILoggingAdapter log = Akka.Event.Logging.GetLogger(server.System, "bridge-test");
        log.Warning("second={1} first={0} second-again={1}", "A", "B");
        Assert.True(SpinWait.SpinUntil(() => server.LogEvents.Any(e => e.RenderMessage().Contains("second=", StringComparison.Ordinal)), TimeSpan.FromSeconds(10)));
        var line = server.LogEvents.Single(e => e.RenderMessage().Contains("second=", StringComparison.Ordinal));
        // Serilog quotes string values when rendering; what matters is which value sits where.
        Assert.Contains("second=\"B\" first=\"A\" second-again=\"B\"", line.RenderMessage());
        Assert.Equal("\"A\"", line.Properties["0"].ToString());
        Assert.Equal("\"B\"", line.Properties["1"].ToString());
        Assert.Equal(Serilog.Events.LogEventLevel.Warning, line.Level);
    }
}
