using System.Net.WebSockets;
using System.Text;
using ActorSocket.Actors.Handlers;
using Akka.Actor;

namespace ActorSocket.Gateway.Tests;

public class HandshakeHookTests
{
    private const string Upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

    /// <summary>Tells the client who it is: the identity and the address the server saw.</summary>
    private sealed class WhoAmIHandler : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            if (message is Handler.Connected connected)
            {
                string address = connected.Info.RemoteEndPoint is System.Net.IPEndPoint ip ? ip.Address.ToString() : "?";
                connected.Connection.Tell(Connection.SendText.From((connected.Info.Identity ?? "anonymous") + "@" + address));
            }
        }
    }

    private sealed class ThrowingHook : IHandshakeHook
    {
        public ValueTask<HandshakeVerdict> DecideAsync(HandshakeContext context, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("hook bug");
    }

    /// <summary>Holds a handshake until the test releases it.</summary>
    private sealed class GateHook : IHandshakeHook
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<HandshakeVerdict> Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async ValueTask<HandshakeVerdict> DecideAsync(HandshakeContext context, CancellationToken cancellationToken)
        {
            Entered.TrySetResult();
            return await Release.Task;
        }
    }

    private static Route WhoAmI(string path, params IHandshakeHook[] hooks) =>
        Route.ForActor(path, _ => Props.Create(() => new WhoAmIHandler()), hooks: hooks);

    private static async Task<string> FirstTextAsync(TestServer server, string path, string headers)
    {
        await using RawClient client = await RawClient.ConnectAsync(server.Port, path, headers);
        var ev = await client.ReadEventAsync();
        return Encoding.UTF8.GetString(ev.Payload);
    }

    [Fact]
    public async Task A_bearer_hook_refuses_with_401_and_accepts_with_an_identity()
    {
        var tokens = new Dictionary<string, string> { ["s3cret"] = "alice" };
        await using TestServer server = await TestServer.StartAsync(routes: [WhoAmI("/me", new BearerTokenAuthentication(tokens))]);

        string refused = await RawClient.HttpAsync(server.Port, $"GET /me HTTP/1.1\r\nHost: x\r\n{Upgrade}\r\n");
        Assert.StartsWith("HTTP/1.1 401 Unauthorized\r\n", refused);
        Assert.Contains("WWW-Authenticate: Bearer", refused);
        string wrong = await RawClient.HttpAsync(server.Port, $"GET /me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nope\r\n{Upgrade}\r\n");
        Assert.StartsWith("HTTP/1.1 401 ", wrong);

        Assert.Equal("alice@127.0.0.1", await FirstTextAsync(server, "/me", "Authorization: Bearer s3cret\r\n"));
        Assert.Equal("alice@127.0.0.1", await FirstTextAsync(server, "/me?access_token=s3cret", ""));
    }

    [Fact]
    public async Task Basic_authentication_is_configured_in_HOCON()
    {
        await using TestServer server = await TestServer.StartAsync("""actorsocket.routes."/echo".auth { type = basic, users { bob = "pa:ss" } }""");
        Assert.StartsWith("HTTP/1.1 401 ", await RawClient.HttpAsync(server.Port, $"GET /echo HTTP/1.1\r\nHost: x\r\n{Upgrade}\r\n"));
        string good = "Authorization: Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("bob:pa:ss")) + "\r\n";
        await using RawClient client = await RawClient.ConnectAsync(server.Port, "/echo", good);
        string bad = "Authorization: Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("bob:wrong")) + "\r\n";
        Assert.StartsWith("HTTP/1.1 401 ", await RawClient.HttpAsync(server.Port, $"GET /echo HTTP/1.1\r\nHost: x\r\n{bad}{Upgrade}\r\n"));
    }

    [Fact]
    public async Task The_origin_allow_list_refuses_other_origins_with_403()
    {
        await using TestServer server = await TestServer.StartAsync("""actorsocket.routes."/echo".allowed-origins = ["https://app.example.com"]""");
        string refused = await RawClient.HttpAsync(server.Port, $"GET /echo HTTP/1.1\r\nHost: x\r\nOrigin: https://evil.example.com\r\n{Upgrade}\r\n");
        Assert.StartsWith("HTTP/1.1 403 Forbidden\r\n", refused);

        using var browser = new ClientWebSocket();
        browser.Options.SetRequestHeader("Origin", "https://app.example.com");
        await browser.ConnectAsync(server.Uri("/echo"), CancellationToken.None);
        using var notBrowser = new ClientWebSocket(); // no Origin: not a browser, let through
        await notBrowser.ConnectAsync(server.Uri("/echo"), CancellationToken.None);
        Assert.Equal(WebSocketState.Open, notBrowser.State);
    }

    [Fact]
    public async Task A_route_for_browsers_only_refuses_requests_without_Origin()
    {
        await using TestServer server = await TestServer.StartAsync("""actorsocket.routes."/echo" { allowed-origins = ["https://app.example.com"], require-origin = on }""");
        string refused = await RawClient.HttpAsync(server.Port, $"GET /echo HTTP/1.1\r\nHost: x\r\n{Upgrade}\r\n");
        Assert.StartsWith("HTTP/1.1 403 ", refused);
        Assert.Contains("an Origin header is required", refused);

        using var browser = new ClientWebSocket();
        browser.Options.SetRequestHeader("Origin", "https://app.example.com");
        await browser.ConnectAsync(server.Uri("/echo"), CancellationToken.None);
        Assert.Equal(WebSocketState.Open, browser.State);
    }

    [Theory]
    [InlineData("nobody:pa:ss")] // unknown user
    [InlineData("bob:pa:sx")] // same length, one character off
    [InlineData("bob:")] // empty password
    [InlineData("bob")] // no colon
    public async Task Basic_authentication_gives_one_answer_to_every_wrong_credential(string credentials)
    {
        await using TestServer server = await TestServer.StartAsync("""actorsocket.routes."/echo".auth { type = basic, users { bob = "pa:ss", ann = "x" } }""");
        string header = "Authorization: Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)) + "\r\n";
        string refused = await RawClient.HttpAsync(server.Port, $"GET /echo HTTP/1.1\r\nHost: x\r\n{header}{Upgrade}\r\n");
        Assert.StartsWith("HTTP/1.1 401 ", refused);
        Assert.EndsWith("credentials required\n", refused);
    }

    [Fact]
    public async Task X_Forwarded_For_is_honoured_only_from_trusted_proxies()
    {
        const string forwarded = "X-Forwarded-For: 198.51.100.9, 203.0.113.7\r\n";
        await using (TestServer untrusting = await TestServer.StartAsync(routes: [WhoAmI("/me")]))
        {
            Assert.Equal("anonymous@127.0.0.1", await FirstTextAsync(untrusting, "/me", forwarded));
        }

        await using TestServer trusting = await TestServer.StartAsync("""actorsocket.trusted-proxies = ["127.0.0.0/8", "203.0.113.7"]""", routes: [WhoAmI("/me")]);
        // The right-most hop that is not itself a trusted proxy is the client.
        Assert.Equal("anonymous@198.51.100.9", await FirstTextAsync(trusting, "/me", forwarded));
        Assert.Equal("anonymous@127.0.0.1", await FirstTextAsync(trusting, "/me", ""));
    }

    [Fact]
    public async Task A_hook_that_fails_answers_500_and_the_server_goes_on()
    {
        await using TestServer server = await TestServer.StartAsync(routes: [WhoAmI("/broken", new ThrowingHook())]);
        Assert.StartsWith("HTTP/1.1 500 ", await RawClient.HttpAsync(server.Port, $"GET /broken HTTP/1.1\r\nHost: x\r\n{Upgrade}\r\n"));
        Assert.Contains(server.LogEvents, e => e.Level == Serilog.Events.LogEventLevel.Error && e.Exception is InvalidOperationException);
        using var client = new ClientWebSocket();
        await client.ConnectAsync(server.Uri("/echo"), CancellationToken.None);
    }

    /// <summary>Admits the first two connections of each user name in the query, then refuses with 429.</summary>
    private sealed class QuotaActor : UntypedActor
    {
        private readonly Dictionary<string, int> _seen = [];

        protected override void OnReceive(object message)
        {
            if (message is HandshakeContext context)
            {
                string user = context.Request.Query.GetValueOrDefault("user") ?? "";
                _seen[user] = _seen.GetValueOrDefault(user) + 1;
                Sender.Tell(_seen[user] <= 2 ? HandshakeVerdict.Accept(identity: user) : HandshakeVerdict.Refuse(429, "quota"));
            }
        }
    }

    [Fact]
    public async Task An_actor_can_be_the_hook()
    {
        TestServer? server = null;
        var quota = new Lazy<IActorRef>(() => server!.System.ActorOf(Props.Create(() => new QuotaActor())));
        var hook = new DeferredHook(() => new ActorHandshakeHook(quota.Value, TimeSpan.FromSeconds(5)));
        server = await TestServer.StartAsync(routes: [WhoAmI("/quota", hook)]);
        await using (server)
        {
            Assert.Equal("zoe@127.0.0.1", await FirstTextAsync(server, "/quota?user=zoe", ""));
            Assert.Equal("zoe@127.0.0.1", await FirstTextAsync(server, "/quota?user=zoe", ""));
            Assert.StartsWith("HTTP/1.1 429 ", await RawClient.HttpAsync(server.Port, $"GET /quota?user=zoe HTTP/1.1\r\nHost: x\r\n{Upgrade}\r\n"));
        }
    }

    /// <summary>Creates the real hook on first use (the actor system exists only once the server started).</summary>
    private sealed class DeferredHook(Func<IHandshakeHook> create) : IHandshakeHook
    {
        private readonly Lazy<IHandshakeHook> _hook = new(create);

        public ValueTask<HandshakeVerdict> DecideAsync(HandshakeContext context, CancellationToken cancellationToken) =>
            _hook.Value.DecideAsync(context, cancellationToken);
    }

    [Fact]
    public async Task An_upgrade_whose_hooks_decide_while_the_server_shuts_down_gets_503()
    {
        var gate = new GateHook();
        // A drain that would take ten minutes if the connection were left open.
        TestServer server = await TestServer.StartAsync("actorsocket.shutdown.drain-timeout = 600s", routes: [WhoAmI("/gated", gate)]);
        Task<string> answer = RawClient.HttpAsync(server.Port, $"GET /gated HTTP/1.1\r\nHost: x\r\n{Upgrade}\r\n");
        await gate.Entered.Task;

        Task stopped = server.StopAsync();
        // The connection hears the shutdown while its hook decides; then the hook accepts.
        Assert.True(SpinWait.SpinUntil(() => server.LogEvents.Any(e => e.MessageTemplate.Text.Contains("shuts down during its handshake", StringComparison.Ordinal)), TimeSpan.FromSeconds(30)));
        gate.Release.SetResult(HandshakeVerdict.Accept("late"));

        // The upgrade is refused: a connection opened now would be one the drain waits for.
        string response = await answer;
        Assert.StartsWith("HTTP/1.1 503 ", response);
        Assert.Contains("shutting down", response, StringComparison.Ordinal);
        await stopped.WaitAsync(TimeSpan.FromSeconds(60));
        await server.DisposeAsync();
    }
}
