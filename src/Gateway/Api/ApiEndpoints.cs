using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ActorSocket.Actors.Api;
using ActorSocket.Protocol.Http;
using ActorSocket.Protocol.PubSub;

namespace ActorSocket.Gateway.Api;

/// <summary>
/// The server API's HTTP side (docs/protocol.md, Server API): the key check, the routes under
/// <c>/api/</c>, JSON bodies read and validated, and the answers of <see cref="ServerApi"/>.
/// </summary>
/// <remarks>Thread-safe: requests are independent; the keys are fixed at start.</remarks>
internal sealed class ApiEndpoints
{
    /// <summary>Where the routes start.</summary>
    public const string Prefix = "/api/";

    private static readonly JsonDocumentOptions JsonOptions = new() { MaxDepth = 64 };

    private readonly byte[][] _keyHashes;
    private readonly Func<ServerApi?> _api;
    private readonly string _version;
    private readonly ActorSocket.Actors.Metrics.ServerMetrics? _metrics;

    /// <summary>Creates the endpoints.</summary>
    /// <param name="settings">The API's settings (keys, body limit).</param>
    /// <param name="api">The API, once the server started (null before).</param>
    /// <param name="metrics">Where requests are counted, or null.</param>
    public ApiEndpoints(ApiSettings settings, Func<ServerApi?> api, ActorSocket.Actors.Metrics.ServerMetrics? metrics = null)
    {
        _metrics = metrics;
        // Keys are compared as hashes, in constant time: neither their bytes nor their length leak.
        _keyHashes = [.. settings.Keys.Select(key => SHA256.HashData(Encoding.UTF8.GetBytes(key)))];
        _api = api;
        MaxBodyBytes = settings.MaxBodyBytes;
        _version = Version;
    }

    /// <summary>The daemon's version, as <c>info</c> reports it.</summary>
    public static string Version { get; } =
        typeof(ApiEndpoints).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false) is [System.Reflection.AssemblyInformationalVersionAttribute attribute, ..]
            ? attribute.InformationalVersion.Split('+')[0]
            : "0.0.0";

    /// <summary>The largest request body taken.</summary>
    public int MaxBodyBytes { get; }

    /// <summary>Whether the API is on: at least one key is configured.</summary>
    public bool Enabled => _keyHashes.Length > 0;

    /// <summary>The OpenAPI document of the API, embedded from <c>docs/openapi.json</c>.</summary>
    internal static byte[] OpenApi { get; } = ReadResource("ActorSocket.Gateway.openapi.json");

    /// <summary>Whether <paramref name="path"/> is one of the API's.</summary>
    public bool Serves(string path) => Enabled && path.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>Answers a request under <c>/api/</c> (the body read already), and counts it.</summary>
    public async Task<HttpResponse> HandleAsync(HttpRequest request)
    {
        HttpResponse response = await AnswerAsync(request).ConfigureAwait(false);
        string name = request.Path[Prefix.Length..];
        _metrics?.ApiRequests.WithLabels(
            name is "publish" or "broadcast" or "subscribe" or "unsubscribe" or "disconnect" or "history" or "presence" or "presence-stats" or "channels" or "info" or "openapi.json" ? name : "other",
            response.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
        return response;
    }

    private async Task<HttpResponse> AnswerAsync(HttpRequest request)
    {
        if (!Authorized(request))
        {
            return Answer(ApiAnswer.Error(401, PubSubError.Unauthorized, "send Authorization: apikey <key> with a key of actorsocket.api.keys"), [new("WWW-Authenticate", "apikey")]);
        }

        string name = request.Path[Prefix.Length..];
        bool post = request.Method == "POST";
        bool get = request.Method == "GET";
        switch (name)
        {
            case "publish" or "broadcast" or "subscribe" or "unsubscribe" or "disconnect" or "history" or "presence" or "presence-stats" when !post:
                return Answer(ApiAnswer.Error(405, "method_not_allowed", "use POST"), [new("Allow", "POST")]);
            case "channels" or "info" or "openapi.json" when !get:
                return Answer(ApiAnswer.Error(405, "method_not_allowed", "use GET"), [new("Allow", "GET")]);
            case "openapi.json":
                return new HttpResponse(200, [new("Content-Type", "application/json; charset=utf-8")], OpenApi);
        }

        ServerApi? api = _api();
        if (api is null)
        {
            return Answer(ApiAnswer.Error(503, PubSubError.Unavailable, "the server is starting"));
        }

        if (name is "channels" or "info")
        {
            return Answer(name == "channels" ? await api.ChannelsAsync().ConfigureAwait(false) : await api.InfoAsync(_version).ConfigureAwait(false));
        }

        if (name is not ("publish" or "broadcast" or "subscribe" or "unsubscribe" or "disconnect" or "history" or "presence" or "presence-stats"))
        {
            return Answer(ApiAnswer.Error(404, "not_found", "no API endpoint " + request.Path + " (see GET /api/openapi.json)"));
        }

        JsonDocument body;
        try
        {
            body = JsonDocument.Parse(request.Body, JsonOptions);
        }
        catch (JsonException error)
        {
            return Answer(ApiAnswer.BadRequest("the body is not JSON: " + error.Message));
        }

        using (body)
        {
            if (body.RootElement.ValueKind != JsonValueKind.Object)
            {
                return Answer(ApiAnswer.BadRequest("the body must be a JSON object"));
            }

            try
            {
                return Answer(await DispatchAsync(api, name, body.RootElement).ConfigureAwait(false));
            }
            catch (BadField bad)
            {
                return Answer(ApiAnswer.BadRequest(bad.Message));
            }
        }
    }

    private static async Task<ApiAnswer> DispatchAsync(ServerApi api, string name, JsonElement body)
    {
        switch (name)
        {
            case "publish":
                return await api.PublishAsync(RequiredString(body, "topic"), Data(body)).ConfigureAwait(false);
            case "broadcast":
                if (!body.TryGetProperty("topics", out JsonElement topics) || topics.ValueKind != JsonValueKind.Array)
                {
                    throw new BadField("topics must be an array of topics");
                }

                if (topics.GetArrayLength() > ServerApi.MaxBroadcastTopics)
                {
                    throw new BadField("topics must list 1 to " + ServerApi.MaxBroadcastTopics + " topics");
                }

                var names = new List<string>();
                foreach (JsonElement topic in topics.EnumerateArray())
                {
                    names.Add(topic.ValueKind == JsonValueKind.String ? topic.GetString()! : throw new BadField("topics must be an array of strings"));
                }

                return await api.BroadcastAsync(names, Data(body)).ConfigureAwait(false);
            case "subscribe":
                return await api.UserAsync(UserAction.Subscribe, RequiredString(body, "user"), RequiredString(body, "topic"), string.Empty).ConfigureAwait(false);
            case "unsubscribe":
                return await api.UserAsync(UserAction.Unsubscribe, RequiredString(body, "user"), RequiredString(body, "topic"), string.Empty).ConfigureAwait(false);
            case "disconnect":
                return await api.UserAsync(UserAction.Disconnect, RequiredString(body, "user"), string.Empty, OptionalString(body, "reason")).ConfigureAwait(false);
            case "history":
                return await api.HistoryAsync(RequiredString(body, "topic"), Limit(body), Since(body)).ConfigureAwait(false);
            default: // presence, presence-stats
                return await api.PresenceAsync(RequiredString(body, "topic"), stats: name == "presence-stats").ConfigureAwait(false);
        }
    }

    private bool Authorized(HttpRequest request)
    {
        string? header = request.GetHeader("Authorization");
        if (header is null || !header.StartsWith("apikey ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        byte[] offered = SHA256.HashData(Encoding.UTF8.GetBytes(header["apikey ".Length..].Trim()));
        bool match = false;
        foreach (byte[] key in _keyHashes)
        {
            match |= CryptographicOperations.FixedTimeEquals(offered, key); // every key compared, whichever matches
        }

        return match;
    }

    private static string RequiredString(JsonElement body, string name) =>
        body.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
            ? text
            : throw new BadField(name + " must be a non-empty string");

    private static string OptionalString(JsonElement body, string name) =>
        !body.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null ? string.Empty
        : value.ValueKind == JsonValueKind.String ? value.GetString()!
        : throw new BadField(name + " must be a string");

    /// <summary>The <c>data</c> field: any JSON value, kept as its raw text (as a <c>/pubsub</c> publish keeps it).</summary>
    private static ReadOnlyMemory<byte> Data(JsonElement body) =>
        body.TryGetProperty("data", out JsonElement data)
            ? Encoding.UTF8.GetBytes(data.GetRawText())
            : throw new BadField("data is required (any JSON value)");

    private static int Limit(JsonElement body)
    {
        if (!body.TryGetProperty("limit", out JsonElement limit) || limit.ValueKind == JsonValueKind.Null)
        {
            return -1;
        }

        return limit.ValueKind == JsonValueKind.Number && limit.TryGetInt32(out int value) && value >= 0
            ? value
            : throw new BadField("limit must be a non-negative integer");
    }

    private static PubSubPosition? Since(JsonElement body)
    {
        if (!body.TryGetProperty("since", out JsonElement since) || since.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (since.ValueKind == JsonValueKind.Object
            && since.TryGetProperty("epoch", out JsonElement epoch) && epoch.ValueKind == JsonValueKind.String
            && since.TryGetProperty("offset", out JsonElement offset) && offset.ValueKind == JsonValueKind.Number
            && offset.TryGetInt64(out long at) && at is >= 0 and <= PubSubCodec.MaxPosition)
        {
            return new PubSubPosition(epoch.GetString()!, at);
        }

        throw new BadField("since must be {\"epoch\": string, \"offset\": integer 0..2^53}");
    }

    private static HttpResponse Answer(ApiAnswer answer, IReadOnlyList<KeyValuePair<string, string>>? headers = null)
    {
        var all = new List<KeyValuePair<string, string>> { new("Content-Type", "application/json; charset=utf-8"), new("Cache-Control", "no-store") };
        if (headers is not null)
        {
            all.AddRange(headers);
        }

        return new HttpResponse(answer.Status, all, answer.Body);
    }

    private static byte[] ReadResource(string name)
    {
        using Stream stream = typeof(ApiEndpoints).Assembly.GetManifestResourceStream(name) ?? throw new InvalidOperationException(name + " is not embedded.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>A field of the body that is missing or of the wrong type: 400 with its message.</summary>
    private sealed class BadField(string message) : Exception(message);
}

/// <summary>The server API's settings (<c>actorsocket.api</c>).</summary>
internal sealed record ApiSettings
{
    /// <summary>The keys a request may carry; none: the API is off.</summary>
    public IReadOnlyList<string> Keys { get; init; } = [];

    /// <summary>The largest request body.</summary>
    public int MaxBodyBytes { get; init; } = 1024 * 1024;

    /// <summary>The longest a request waits for the topics or the nodes.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A port of the API's own (then not served on the daemon's port); null: under <c>/api/</c> on the daemon's port.</summary>
    public int? Port { get; init; }

    /// <summary>The address of <see cref="Port"/>; null: the daemon's <c>host</c>.</summary>
    public string? Host { get; init; }
}

/// <summary>The plain routes of the API's own port: the API and nothing else (no chat page, no WebSocket routes, no metrics).</summary>
internal sealed class ApiPortEndpoints(ApiEndpoints api) : ActorSocket.Actors.Http.IHttpEndpoints
{
    /// <inheritdoc />
    public Task<HttpResponse>? TryHandle(HttpRequest request) => api.Serves(request.Path) ? api.HandleAsync(request) : null;

    /// <inheritdoc />
    public int BodyLimit(HttpRequest request) => api.Serves(request.Path) ? api.MaxBodyBytes : 0;
}
