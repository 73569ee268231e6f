using System.Net.WebSockets;
using System.Text;
using ActorSocket.Actors.Handlers;
using ActorSocket.Gateway.Configuration;
using Akka.Configuration;

namespace ActorSocket.Gateway.Tests;

/// <summary>Connections (and topics) on the event loops: <c>actorsocket.event-loops</c>.</summary>
public class EventLoopServingTests
{
    /// <summary>Answers every message with the name of the thread that handled it.</summary>
    private sealed class ThreadNameHandler : InlineHandler
    {
        public override void OnText(ReadOnlyMemory<byte> utf8, IInlineConnection connection) =>
            connection.SendText(Encoding.UTF8.GetBytes(Thread.CurrentThread.Name ?? "unnamed"));

        public override void OnBinary(ReadOnlyMemory<byte> data, IInlineConnection connection) => OnText(data, connection);
    }

    private static async Task<string> ThreadOfAsync(TestServer server)
    {
        using var client = new ClientWebSocket();
        await client.ConnectAsync(server.Uri("/where"), CancellationToken.None);
        await client.SendAsync("where"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        string name = Encoding.UTF8.GetString((await EchoTests.ReceiveMessageAsync(client)).Data);
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        return name;
    }

    [Fact]
    public async Task Connections_take_the_loops_in_turn_and_pubsub_works_across_them()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // no epoll: no loops, connections on the thread pool
        }

        await using TestServer server = await TestServer.StartAsync("actorsocket.event-loops = 2", [Route.ForInline("/where", _ => new ThreadNameHandler())]);
        var names = new HashSet<string>();
        for (int i = 0; i < 4; i++)
        {
            names.Add(await ThreadOfAsync(server));
        }

        Assert.Equal(new HashSet<string> { "actorsocket-loop-0", "actorsocket-loop-1" }, names);
        Assert.Contains(server.LogEvents, e => e.RenderMessage(System.Globalization.CultureInfo.InvariantCulture) == "Connections and topics run on 2 event loop(s)");

        // Subscribers on both loops, the topic on one of them, the publisher on either.
        using var first = new ClientWebSocket();
        using var second = new ClientWebSocket();
        await first.ConnectAsync(server.Uri("/pubsub"), CancellationToken.None);
        await second.ConnectAsync(server.Uri("/pubsub"), CancellationToken.None);
        foreach (ClientWebSocket client in new[] { first, second })
        {
            await client.SendAsync("{\"op\":\"subscribe\",\"topic\":\"loops\",\"id\":1}"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
            Assert.Contains("\"ack\"", Encoding.UTF8.GetString((await EchoTests.ReceiveMessageAsync(client)).Data));
        }

        await second.SendAsync("{\"op\":\"publish\",\"topic\":\"loops\",\"data\":\"hi\"}"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        foreach (ClientWebSocket client in new[] { first, second })
        {
            string delivered = Encoding.UTF8.GetString((await EchoTests.ReceiveMessageAsync(client)).Data);
            Assert.Contains("\"message\"", delivered);
            Assert.Contains("\"hi\"", delivered);
        }
    }

    [Fact]
    public async Task With_the_loops_off_connections_run_on_the_thread_pool()
    {
        await using TestServer server = await TestServer.StartAsync("actorsocket.event-loops = off", [Route.ForInline("/where", _ => new ThreadNameHandler())]);
        Assert.DoesNotContain("actorsocket-loop", await ThreadOfAsync(server));
        Assert.Contains(server.LogEvents, e => e.RenderMessage(System.Globalization.CultureInfo.InvariantCulture) == "Connections and topics run on the thread pool (no event loops)");
    }

    [Theory]
    [InlineData("auto")]
    [InlineData("off")]
    [InlineData("0")]
    [InlineData("3")]
    public void The_number_of_loops_is_read_from_the_configuration(string value)
    {
        GatewayOptions options = GatewayOptions.From(GatewayConfig.Load(CommandLineOptions.Parse(["--set", "actorsocket.event-loops = " + value])));
        int expected = !OperatingSystem.IsLinux() ? 0 : value switch
        {
            "auto" => Math.Max(1, Environment.ProcessorCount - 1),
            "off" => 0,
            _ => int.Parse(value, System.Globalization.CultureInfo.InvariantCulture),
        };
        Assert.Equal(expected, options.EventLoops);
        Assert.Equal(expected, options.Connection.Dispatchers.Count);
        Assert.Equal(expected, options.Topics.Dispatchers.Count);
        Config dispatchers = options.EventLoopConfig();
        for (int i = 0; i < expected; i++)
        {
            Assert.Equal(i, dispatchers.GetInt(options.Connection.Dispatchers[i] + ".event-loop.index"));
        }
    }

    [Theory]
    [InlineData("many")]
    [InlineData("-1")]
    [InlineData("257")]
    public void A_number_of_loops_that_is_not_one_is_refused_at_start(string value)
    {
        var error = Assert.Throws<ConfigurationException>(() => GatewayOptions.From(GatewayConfig.Load(CommandLineOptions.Parse(["--set", "actorsocket.event-loops = " + value]))));
        Assert.Contains("event-loops", error.Message);
    }
}
