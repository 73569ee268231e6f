using System.Net.WebSockets;
using ActorSocket.Actors.Handlers;
using Akka.Actor;

namespace ActorSocket.Gateway.Tests;

public class HandlerIsolationTests
{
    /// <summary>Blocks its thread for seconds on every message, as a synchronous database call would.</summary>
    private sealed class SleepyHandler : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            if (message is Handler.TextMessage)
            {
                Thread.Sleep(TimeSpan.FromSeconds(3));
            }
        }
    }

    [Fact]
    public async Task Handlers_that_block_for_seconds_do_not_delay_other_connections()
    {
        // Both are handler actors on the same (default) handler dispatcher; the built-in /echo runs
        // inline in its connection actor and would not show whether handlers stall each other.
        var sleepy = Route.ForActor("/sleepy", _ => Props.Create(() => new SleepyHandler()));
        var actorEcho = Route.ForActor("/actor-echo", _ => EchoHandler.Props());
        await using TestServer server = await TestServer.StartAsync(routes: [sleepy, actorEcho]);

        // Another connection's echo latency is measured by a client in a process of its own. A first
        // run warms the new server up (JIT, thread pool), so the second compares like with like.
        string script = Path.Combine(AppContext.BaseDirectory, "rtt.py");
        string echo = server.Uri("/actor-echo").ToString();
        var (warmExit, warmOutput) = await ExternalProcess.RunAsync("/usr/bin/python3", [script, echo, "1"], TimeSpan.FromSeconds(30));
        Assert.True(warmExit == 0, warmOutput);

        var blocked = new List<ClientWebSocket>();
        for (int i = 0; i < 6; i++)
        {
            var client = new ClientWebSocket();
            await client.ConnectAsync(server.Uri("/sleepy"), CancellationToken.None);
            await client.SendAsync("block"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
            blocked.Add(client);
        }

        // Two seconds of round trips, inside the six handlers' three seconds of sleep.
        var (exitCode, output) = await ExternalProcess.RunAsync("/usr/bin/python3", [script, echo, "2"], TimeSpan.FromSeconds(30));
        Assert.True(exitCode == 0, output);
        string[] result = output.Trim().Split(' ');
        int roundTrips = int.Parse(result[0], System.Globalization.CultureInfo.InvariantCulture);
        double worstMs = double.Parse(result[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(roundTrips > 100, output);
        // Stalled behind a sleeping handler, a round trip would take up to its 3 s; a loaded 2-core CI
        // machine running other tests beside this one can add a few hundred ms, never seconds.
        Assert.True(worstMs < 1000, $"worst echo round trip {worstMs} ms while six handlers slept ({roundTrips} round trips; before: {warmOutput.Trim()})");

        foreach (ClientWebSocket client in blocked)
        {
            client.Abort();
            client.Dispose();
        }
    }
}
