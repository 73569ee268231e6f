using System.Text;
using ActorSocket.Actors.Connections;
using ActorSocket.Actors.Handlers;
using ActorSocket.Actors.Http;
using ActorSocket.Actors.Metrics;
using ActorSocket.Protocol;
using ActorSocket.Protocol.Http;
using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Microsoft.Extensions.Logging.Abstractions;

namespace ActorSocket.Actors.Tests;

/// <summary>The connection actor over an in-memory transport, with time driven by a test scheduler.</summary>
public class ConnectionActorTests : TestKit
{
    private const string Upgrade =
        "GET /test HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

    private static readonly ConnectionSettings Settings = new()
    {
        PingInterval = TimeSpan.FromSeconds(20),
        PingTimeout = TimeSpan.FromSeconds(20),
        HandshakeTimeout = TimeSpan.FromSeconds(10),
        CloseTimeout = TimeSpan.FromSeconds(10),
        MaxOutboundBytes = 64 * 1024,
    };

    private readonly WebSocketCodec _client = new(Role.Client);

    public ConnectionActorTests()
        : base("akka.scheduler.implementation = \"Akka.TestKit.TestScheduler, Akka.TestKit\"")
    {
    }

    private TestScheduler Scheduler => (TestScheduler)Sys.Scheduler;

    private (TestTransport Transport, IActorRef Supervisor) Start(Func<ConnectionInfo, Props>? handler = null)
    {
        var transport = new TestTransport();
        IActorRef probe = TestActor;
        var route = Route.ForActor("/test", handler ?? (_ => Props.Create(() => new ForwardingHandler(probe))));
        var context = new ServerContext(Settings, new RouteTable([route]), new NoHttp(), new ServerMetrics(), NullLogger.Instance, 100, _ => throw new NotSupportedException());
        IActorRef supervisor = Sys.ActorOf(ConnectionsSupervisor.Props(context));
        Sys.EventStream.Subscribe(TestActor, typeof(ConnectionTerminated));
        supervisor.Tell(new ConnectionsSupervisor.AcceptedTransport(transport));
        return (transport, supervisor);
    }

    private async Task<Handler.Connected> HandshakeAsync(TestTransport transport)
    {
        transport.Send(Encoding.ASCII.GetBytes(Upgrade));
        byte[] response = await transport.Written.ReadAsync();
        Assert.StartsWith("HTTP/1.1 101 Switching Protocols", Encoding.ASCII.GetString(response));
        return ExpectMsg<Handler.Connected>();
    }

    /// <summary>Reads what the server wrote until the client codec yields an event.</summary>
    private async Task<WebSocketEvent> NextServerEventAsync(TestTransport transport)
    {
        while (true)
        {
            if (_client.TryReadEvent(out WebSocketEvent ev))
            {
                return ev;
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            if (!await transport.Written.WaitToReadAsync(timeout.Token))
            {
                _client.ReceiveEof();
                continue;
            }

            _client.ReceiveData(await transport.Written.ReadAsync(timeout.Token));
        }
    }

    /// <summary>
    /// Moves virtual time on a second at a time until a <typeparamref name="T"/> arrives: timers are
    /// registered by the actor asynchronously, so one big step could come before them.
    /// </summary>
    private T AdvanceUntil<T>()
    {
        for (int step = 0; step < 120; step++)
        {
            Scheduler.Advance(TimeSpan.FromSeconds(1));
            T? message = ReceiveWhile<object>(TimeSpan.FromMilliseconds(50), m => m).OfType<T>().FirstOrDefault();
            if (message is not null)
            {
                return message;
            }
        }

        throw new TimeoutException("No " + typeof(T).Name + " within two virtual minutes.");
    }

    private byte[] ClientFrame(Action<WebSocketCodec> send)
    {
        send(_client);
        byte[] bytes = _client.PeekOutgoing().ToArray();
        _client.ConsumeOutgoing(bytes.Length);
        return bytes;
    }

    [Fact]
    public async Task Handler_receives_connected_messages_and_disconnected_in_order()
    {
        var (transport, _) = Start();
        Handler.Connected connected = await HandshakeAsync(transport);
        Assert.Equal("/test", connected.Info.Path);

        transport.Send(ClientFrame(c => c.SendText("one"u8)));
        transport.Send(ClientFrame(c => c.SendBinary([2])));
        Assert.Equal("one", ExpectMsg<Handler.TextMessage>().Text);
        Assert.Equal([2], ExpectMsg<Handler.BinaryMessage>().Data);

        transport.Send(ClientFrame(c => c.SendClose(CloseCode.NormalClosure, "bye")));
        WebSocketEvent echoed = await NextServerEventAsync(transport);
        Assert.Equal(WebSocketEventKind.Close, echoed.Kind);
        transport.SendEof(); // RFC 6455 7.1.1: the client closes TCP once the server has
        var disconnected = FishForMessage<Handler.Disconnected>(_ => true);
        Assert.Equal(CloseCode.NormalClosure, disconnected.Code);
        var ended = FishForMessage<ConnectionTerminated>(_ => true);
        Assert.Equal(TerminationCause.Closed, ended.Cause);
    }

    [Fact]
    public async Task A_ping_goes_out_every_interval_and_a_missing_pong_ends_with_1011()
    {
        var (transport, _) = Start();
        await HandshakeAsync(transport);

        Scheduler.Advance(Settings.PingInterval);
        Assert.Equal(WebSocketEventKind.Ping, (await NextServerEventAsync(transport)).Kind);
        _client.ConsumeOutgoing(_client.OutgoingLength); // the client never answers

        Scheduler.Advance(Settings.PingTimeout);
        WebSocketEvent close = await NextServerEventAsync(transport);
        Assert.Equal(WebSocketEventKind.Close, close.Kind);
        Assert.Equal(CloseCode.InternalError, close.CloseCode);
        Assert.Equal("keepalive ping timeout", close.Reason);

        var ended = FishForMessage<ConnectionTerminated>(_ => true);
        Assert.Equal(TerminationCause.KeepaliveTimeout, ended.Cause);
        Assert.Equal(CloseCode.InternalError, ended.CloseCode);
        Assert.True(transport.Disposed);
    }

    [Fact]
    public async Task A_pong_keeps_the_connection_open()
    {
        var (transport, _) = Start();
        await HandshakeAsync(transport);
        for (int round = 0; round < 3; round++)
        {
            Scheduler.Advance(Settings.PingInterval);
            WebSocketEvent ping = await NextServerEventAsync(transport);
            Assert.Equal(WebSocketEventKind.Ping, ping.Kind);
            byte[] pong = _client.PeekOutgoing().ToArray(); // the client codec queued the pong itself
            _client.ConsumeOutgoing(pong.Length);
            transport.Send(pong);
            // The pong is processed before the timeout would fire: the echo of a message sent after it proves it.
            transport.Send(ClientFrame(c => c.SendText(Encoding.UTF8.GetBytes("after pong " + round))));
            Assert.Equal("after pong " + round, ExpectMsg<Handler.TextMessage>().Text);
            Scheduler.Advance(Settings.PingTimeout - TimeSpan.FromSeconds(1));
        }

        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Assert.False(transport.Disposed);
    }

    [Fact]
    public void A_silent_client_is_dropped_at_the_handshake_timeout()
    {
        var (transport, _) = Start();
        transport.Send("GET /test HTTP/1.1\r\n"u8.ToArray());
        var ended = AdvanceUntil<ConnectionTerminated>();
        Assert.Equal(TerminationCause.HandshakeTimeout, ended.Cause);
        AwaitCondition(() => transport.Disposed);
    }

    [Fact]
    public async Task A_handler_that_throws_closes_its_connection_with_1011()
    {
        var (transport, _) = Start(_ => Props.Create(() => new ThrowingHandler()));
        transport.Send(Encoding.ASCII.GetBytes(Upgrade));
        await transport.Written.ReadAsync();
        transport.Send(ClientFrame(c => c.SendText("boom"u8)));
        WebSocketEvent close = await NextServerEventAsync(transport);
        Assert.Equal(WebSocketEventKind.Close, close.Kind);
        Assert.Equal(CloseCode.InternalError, close.CloseCode);
    }

    [Fact]
    public async Task A_handler_that_stops_closes_its_connection_with_1000()
    {
        var (transport, _) = Start(_ => Props.Create(() => new StopOnFirstMessageHandler()));
        transport.Send(Encoding.ASCII.GetBytes(Upgrade));
        await transport.Written.ReadAsync();
        transport.Send(ClientFrame(c => c.SendText("done"u8)));
        WebSocketEvent close = await NextServerEventAsync(transport);
        Assert.Equal(CloseCode.NormalClosure, close.CloseCode);
    }

    [Fact]
    public async Task A_close_the_client_never_answers_drops_the_connection_at_the_close_timeout()
    {
        var (transport, _) = Start(_ => Props.Create(() => new StopOnFirstMessageHandler()));
        transport.Send(Encoding.ASCII.GetBytes(Upgrade));
        await transport.Written.ReadAsync();
        transport.Send(ClientFrame(c => c.SendText("done"u8)));
        Assert.Equal(CloseCode.NormalClosure, (await NextServerEventAsync(transport)).CloseCode);
        // The client neither answers the close frame nor closes TCP.
        var ended = AdvanceUntil<ConnectionTerminated>();
        Assert.Equal(TerminationCause.CloseTimeout, ended.Cause);
        Assert.Equal(CloseCode.AbnormalClosure, ended.CloseCode);
        Assert.True(transport.Disposed);
    }

    [Fact]
    public void An_HTTP_answer_the_client_does_not_read_is_dropped_at_the_write_timeout()
    {
        var (transport, _) = Start();
        transport.StallWrites = true; // the client sends its request and never reads
        transport.Send(Encoding.ASCII.GetBytes("GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"));

        // Virtual time, a second at a time: the 404 waits for the client until the 30 s write deadline.
        int seconds = 0;
        while (!transport.Disposed && seconds < 60)
        {
            Scheduler.Advance(TimeSpan.FromSeconds(1));
            seconds++;
            SpinWait.SpinUntil(() => transport.Disposed, TimeSpan.FromMilliseconds(50));
        }

        Assert.True(transport.Disposed, "still open after 60 virtual seconds");
        Assert.InRange(seconds, (int)Settings.WriteTimeout.TotalSeconds, (int)Settings.WriteTimeout.TotalSeconds * 2 + 2);
    }

    [Fact]
    public async Task A_client_that_stops_reading_is_closed_as_a_slow_consumer()
    {
        var (transport, _) = Start();
        Handler.Connected connected = await HandshakeAsync(transport);
        transport.StallWrites = true;
        byte[] chunk = new byte[16 * 1024];
        for (int i = 0; i < 8; i++)
        {
            connected.Connection.Tell(new Connection.SendBinary(chunk));
        }

        var ended = AdvanceUntil<ConnectionTerminated>();
        Assert.Equal(TerminationCause.SlowConsumer, ended.Cause);
        Assert.Equal(CloseCode.PolicyViolation, ended.CloseCode);
    }

    [Fact]
    public async Task Eof_without_a_close_frame_is_reported_once_as_1006()
    {
        var (transport, _) = Start();
        await HandshakeAsync(transport);
        transport.SendEof();
        var disconnected = FishForMessage<Handler.Disconnected>(_ => true);
        Assert.Equal(CloseCode.AbnormalClosure, disconnected.Code);
        var ended = FishForMessage<ConnectionTerminated>(_ => true);
        Assert.Equal(TerminationCause.Eof, ended.Cause);
        Assert.Equal(CloseCode.AbnormalClosure, ended.CloseCode);
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task A_pubsub_client_has_at_most_max_pending_requests_in_the_topics_and_then_the_socket_waits()
    {
        // The topics are a probe that answers only when told: a backend slower than the client.
        var topics = CreateTestProbe();
        var transport = new TestTransport();
        var route = Route.ForInline("/test", _ => new InlinePubSubHandler(new PubSubSettings()));
        var settings = Settings with { InlinePending = 8 };
        var context = new ServerContext(settings, new RouteTable([route]), new NoHttp(), new ServerMetrics(), NullLogger.Instance, 100, _ => throw new NotSupportedException(), null, topics.Ref);
        IActorRef supervisor = Sys.ActorOf(ConnectionsSupervisor.Props(context));
        supervisor.Tell(new ConnectionsSupervisor.AcceptedTransport(transport));
        transport.Send(Encoding.ASCII.GetBytes(Upgrade));
        Assert.StartsWith("HTTP/1.1 101 ", Encoding.ASCII.GetString(await transport.Written.ReadAsync()));

        // 50 publishes in one burst, as a flooding client sends them.
        transport.Send(ClientFrame(codec =>
        {
            for (int i = 0; i < 50; i++)
            {
                codec.SendText(Encoding.UTF8.GetBytes("{\"op\":\"publish\",\"topic\":\"t\",\"data\":" + i + "}"));
            }
        }));

        var pending = new List<(ActorSocket.Actors.Topics.Topic.Publish Publish, IActorRef Sender)>();
        for (int i = 0; i < 8; i++)
        {
            pending.Add((topics.ExpectMsg<ActorSocket.Actors.Topics.Topic.Publish>(), topics.LastSender));
        }

        topics.ExpectNoMsg(TimeSpan.FromMilliseconds(300)); // the ninth waits in the socket, not in a mailbox

        for (int i = 0; i < 3; i++)
        {
            pending[i].Sender.Tell(pending[i].Publish.Ack!); // the backend catches up by three
        }

        for (int i = 8; i < 11; i++)
        {
            Assert.Equal("t", topics.ExpectMsg<ActorSocket.Actors.Topics.Topic.Publish>().Name);
        }

        topics.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    private sealed class NoHttp : IHttpEndpoints
    {
        public Task<HttpResponse>? TryHandle(HttpRequest request) => null;
    }

    private sealed class ForwardingHandler(IActorRef probe) : UntypedActor
    {
        protected override void OnReceive(object message) => probe.Forward(message);
    }

    private sealed class ThrowingHandler : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            if (message is Handler.TextMessage)
            {
                throw new InvalidOperationException("handler bug");
            }
        }
    }

    private sealed class StopOnFirstMessageHandler : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            if (message is Handler.TextMessage)
            {
                Context.Stop(Self);
            }
        }
    }
}
