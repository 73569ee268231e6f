using ActorSocket.Actors.Http;
using ActorSocket.Actors.Metrics;
using ActorSocket.Protocol.Http;

namespace ActorSocket.Gateway;

/// <summary>The plain HTTP routes: <c>GET /</c> (the chat page), <c>GET /client/actorsocket.js</c> (the JavaScript client), <c>GET /healthz</c>, <c>GET /metrics</c>, and, when enabled, <c>GET /demo/token</c> and the server API under <c>/api/</c>.</summary>
internal sealed class HttpEndpoints : IHttpEndpoints
{
    private readonly ServerMetrics _metrics;
    private readonly Func<bool> _isShuttingDown;
    private readonly Func<(bool Member, string Description)>? _clusterStatus;
    private readonly Func<bool>? _storeReachable;
    private readonly DemoTokens? _demo;
    private readonly Api.ApiEndpoints? _api;

    /// <summary>Creates the endpoints.</summary>
    /// <param name="metrics">What <c>/metrics</c> exports.</param>
    /// <param name="isShuttingDown">Whether <c>/healthz</c> should answer 503.</param>
    /// <param name="clusterStatus">
    /// In cluster mode, this node's membership: <c>/healthz</c> names it in an
    /// <c>X-Cluster-Member</c> header and answers 503 until the node is up in the cluster.
    /// </param>
    /// <param name="storeReachable">
    /// With durable topics, whether their store answers: <c>/healthz</c> names it in an
    /// <c>X-History-Store</c> header (<c>ok</c> or <c>unavailable</c>) and stays 200 either way, since
    /// every other topic still works.
    /// </param>
    /// <param name="demo">The demo token issuer, served at <c>GET /demo/token</c>; null: no such route.</param>
    /// <param name="api">The server API, served under <c>/api/</c> when it has a key; null: none.</param>
    public HttpEndpoints(ServerMetrics metrics, Func<bool> isShuttingDown, Func<(bool Member, string Description)>? clusterStatus = null, Func<bool>? storeReachable = null, DemoTokens? demo = null, Api.ApiEndpoints? api = null)
    {
        _api = api;
        _demo = demo;
        _metrics = metrics;
        _isShuttingDown = isShuttingDown;
        _clusterStatus = clusterStatus;
        _storeReachable = storeReachable;
    }

    /// <inheritdoc />
    public Task<HttpResponse>? TryHandle(HttpRequest request)
    {
        if (_api?.Serves(request.Path) == true)
        {
            return _api.HandleAsync(request);
        }

        switch (request.Path)
        {
            case "/":
                return Task.FromResult(IsGetOrHead(request) ? ChatPage : MethodNotAllowed);
            case "/client/actorsocket.js":
                return Task.FromResult(IsGetOrHead(request) ? ClientScript : MethodNotAllowed);
            case "/healthz":
                if (!IsGetOrHead(request))
                {
                    return Task.FromResult(MethodNotAllowed);
                }

                return Task.FromResult(Health());
            case "/metrics":
                return IsGetOrHead(request) ? ExportMetricsAsync() : Task.FromResult(MethodNotAllowed);
            case "/demo/token" when _demo is not null:
                return Task.FromResult(request.Method == "GET" ? _demo.Issue(request) : MethodNotAllowed);
            default:
                return null;
        }
    }

    /// <inheritdoc />
    public int BodyLimit(HttpRequest request) => _api?.Serves(request.Path) == true ? _api.MaxBodyBytes : 0;

    /// <inheritdoc />
    public string? UpgradeRefusal()
    {
        if (_clusterStatus is null)
        {
            return null;
        }

        (bool member, string description) = _clusterStatus();
        return member ? null : "this node does not serve now (" + description + "); connect to another";
    }

    private HttpResponse Health()
    {
        if (_isShuttingDown())
        {
            return new HttpResponse(503, [new("Content-Type", "text/plain; charset=utf-8")], "shutting down"u8.ToArray());
        }

        var headers = new List<KeyValuePair<string, string>> { new("Content-Type", "text/plain; charset=utf-8") };
        if (_storeReachable is not null)
        {
            headers.Add(new("X-History-Store", _storeReachable() ? "ok" : "unavailable"));
        }

        if (_clusterStatus is null)
        {
            return new HttpResponse(200, headers, "ok"u8.ToArray());
        }

        // A node that is not (yet) a member, or is cut off from the majority, would deliver only its
        // own publishes: not ready, and new WebSocket clients are refused too.
        (bool member, string description) = _clusterStatus();
        headers.Add(new("X-Cluster-Member", description));
        return member
            ? new HttpResponse(200, headers, "ok"u8.ToArray())
            : new HttpResponse(503, headers, System.Text.Encoding.UTF8.GetBytes("not serving: " + description));
    }

    /// <summary>The chat page, embedded in the assembly (no CDN), read once.</summary>
    private static HttpResponse ChatPage { get; } = new(
        200,
        [new("Content-Type", "text/html; charset=utf-8"), new("Cache-Control", "no-cache")],
        ReadResource("ActorSocket.Gateway.chat.html"));

    /// <summary>The JavaScript client (src/ClientJs/actorsocket.js), embedded, served at a stable path.</summary>
    private static HttpResponse ClientScript { get; } = new(
        200,
        [new("Content-Type", "text/javascript; charset=utf-8"), new("Cache-Control", "no-cache")],
        ReadResource("ActorSocket.Gateway.actorsocket.js"));

    private static byte[] ReadResource(string name)
    {
        using Stream stream = typeof(HttpEndpoints).Assembly.GetManifestResourceStream(name) ?? throw new InvalidOperationException(name + " is not embedded.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static HttpResponse MethodNotAllowed { get; } = HttpResponse.Text(405, "use GET", [new("Allow", "GET, HEAD")]);

    private static bool IsGetOrHead(HttpRequest request) => request.Method is "GET" or "HEAD";

    private async Task<HttpResponse> ExportMetricsAsync()
    {
        using var body = new MemoryStream();
        await _metrics.ExportAsync(body, CancellationToken.None).ConfigureAwait(false);
        // The Prometheus text exposition format, version 0.0.4.
        return new HttpResponse(200, [new("Content-Type", "text/plain; version=0.0.4; charset=utf-8")], body.ToArray());
    }
}
