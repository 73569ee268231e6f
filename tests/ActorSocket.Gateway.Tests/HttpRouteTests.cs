using System.Net.WebSockets;
using ActorSocket.Actors.Metrics;
using ActorSocket.Protocol.Http;

namespace ActorSocket.Gateway.Tests;

public class HttpRouteTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync("actorsocket.max-connections = 2");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<string> GetAsync(string request) => RawClient.HttpAsync(_server.Port, request);

    [Fact]
    public async Task Healthz_answers_ok()
    {
        string response = await GetAsync("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", response);
        Assert.Contains("Content-Type: text/plain", response);
        Assert.EndsWith("\r\n\r\nok", response);
    }

    [Fact]
    public async Task Healthz_answers_503_while_shutting_down()
    {
        bool shuttingDown = false;
        var endpoints = new HttpEndpoints(new ServerMetrics(), () => shuttingDown);
        var request = new HttpRequest("GET", "/healthz", "HTTP/1.1", [new("Host", "x")]);
        Assert.Equal(200, (await endpoints.TryHandle(request)!).StatusCode);
        shuttingDown = true;
        Assert.Equal(503, (await endpoints.TryHandle(request)!).StatusCode);
    }

    [Fact]
    public async Task Metrics_are_in_the_Prometheus_text_format_and_count_what_happened()
    {
        using (var client = new ClientWebSocket())
        {
            await client.ConnectAsync(_server.Uri("/echo"), CancellationToken.None);
            await client.SendAsync("x"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
            await EchoTests.ReceiveMessageAsync(client);
            await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }

        await _server.NextTerminationAsync();
        string response = await GetAsync("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", response);
        Assert.Contains("Content-Type: text/plain; version=0.0.4", response);
        Assert.Contains("# TYPE actorsocket_connections_open gauge", response);
        Assert.Contains("actorsocket_messages_received_total 1", response);
        Assert.Contains("actorsocket_messages_sent_total 1", response);
        Assert.Contains("actorsocket_connections_closed_total{code=\"1000\",cause=\"closed\"} 1", response);
        Assert.Contains("actorsocket_handshakes_total{status=\"101\"} 1", response);
    }

    [Fact]
    public async Task Every_metric_the_Grafana_dashboard_charts_is_exported()
    {
        string response = await GetAsync("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        var exported = response.Split('\n')
            .Where(line => line.StartsWith("# TYPE ", StringComparison.Ordinal))
            .Select(line => line.Split(' ')[2])
            .ToHashSet(StringComparer.Ordinal);

        using var dashboard = System.Text.Json.JsonDocument.Parse(File.ReadAllText(RepositoryFiles.Find("deploy/grafana/actorsocket.json")));
        var charted = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .Where(panel => panel.TryGetProperty("targets", out _))
            .SelectMany(panel => panel.GetProperty("targets").EnumerateArray())
            .SelectMany(target => System.Text.RegularExpressions.Regex.Matches(target.GetProperty("expr").GetString()!, @"\b(?:actorsocket|dotnet|process)_[a-z_]+\b").Select(match => match.Value))
            .ToHashSet(StringComparer.Ordinal);

        Assert.True(charted.Count >= 25, "the dashboard charts " + charted.Count + " metrics");
        Assert.Empty(charted.Except(exported));
        // And what the daemon exports about connections and topics is charted.
        Assert.Empty(exported.Where(name => name.StartsWith("actorsocket_", StringComparison.Ordinal)).Except(charted));
    }

    [Fact]
    public async Task A_method_other_than_GET_on_a_plain_route_is_405()
    {
        string response = await GetAsync("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 405 Method Not Allowed\r\n", response);
        Assert.Contains("Allow: GET, HEAD\r\n", response);
        Assert.StartsWith("HTTP/1.1 200 OK", await GetAsync("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    }

    [Fact]
    public async Task An_unknown_path_is_404_for_plain_and_upgrade_requests()
    {
        Assert.StartsWith("HTTP/1.1 404 ", await GetAsync("GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"));
        Assert.StartsWith("HTTP/1.1 404 ", await GetAsync(
            "GET /nowhere HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"));
    }

    [Fact]
    public async Task A_plain_GET_on_a_WebSocket_route_is_426()
    {
        string response = await GetAsync("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 426 Upgrade Required\r\n", response);
        Assert.Contains("Upgrade: websocket\r\n", response);
    }

    [Theory]
    [InlineData("this is not http\r\n\r\n")]
    [InlineData("GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n")]
    [InlineData("GET /echo HTTP/1.1\r\nUpgrade: websocket\r\n\r\n")]
    public async Task A_malformed_request_or_handshake_is_400_with_a_reason(string request)
    {
        string response = await GetAsync(request);
        Assert.StartsWith("HTTP/1.1 400 Bad Request\r\n", response);
        Assert.Contains("Connection: close\r\n", response);
        Assert.False(response.EndsWith("\r\n\r\n", StringComparison.Ordinal), "a reason is given in the body");
    }

    [Fact]
    public async Task Over_the_connection_limit_an_upgrade_gets_503_healthz_stays_200_and_others_are_unaffected()
    {
        using var first = new ClientWebSocket();
        using var second = new ClientWebSocket();
        await first.ConnectAsync(_server.Uri("/echo"), CancellationToken.None);
        await second.ConnectAsync(_server.Uri("/echo"), CancellationToken.None);

        // A full node is not a dead one: an orchestrator that restarted it would drop every connection.
        Assert.StartsWith("HTTP/1.1 200 ", await GetAsync("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
        string refused = await GetAsync("GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 503 ", refused);

        await first.SendAsync("still served"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        var (_, data) = await EchoTests.ReceiveMessageAsync(first);
        Assert.Equal("still served"u8.ToArray(), data);
    }
}
