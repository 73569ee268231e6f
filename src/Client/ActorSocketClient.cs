using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json;

namespace ActorSocket.Client;

/// <summary>
/// A client of an ActorSocket server's <c>/pubsub</c>: one WebSocket, kept open. It reconnects by
/// itself after a loss (full-jitter exponential backoff, trying the next URL each time), only when
/// the close is worth retrying (<see cref="ReconnectBackoff.WorthRetrying"/>), and then subscribes
/// again to every topic, each from the last message it received, so that a subscription continues
/// without gap, or says that it could not (<see cref="Subscription.Resubscribed"/>).
/// </summary>
/// <remarks>
/// Thread-safe: every method may be called from any thread, concurrently. Requests made while
/// disconnected wait for the connection (up to <see cref="ActorSocketClientOptions.RequestTimeout"/>);
/// requests in flight when the connection drops fail with <c>connection_lost</c> (a publish may or
/// may not have been delivered). Events are raised on the client's reading task: keep them short.
/// </remarks>
public sealed class ActorSocketClient : IAsyncDisposable
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly ActorSocketClientOptions _options;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly ConcurrentDictionary<string, Subscription> _subscriptions = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _firstConnect = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ClientWebSocket? _socket;
    private Task? _loop;
    private long _nextId;
    private int _url;

    /// <summary>Creates a client; nothing connects until <see cref="ConnectAsync"/>.</summary>
    public ActorSocketClient(ActorSocketClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Urls.Count == 0)
        {
            throw new ArgumentException("Give at least one URL (ws://host:port/pubsub).", nameof(options));
        }

        _options = options;
    }

    /// <summary>Creates a client of one server.</summary>
    /// <param name="url">The server's <c>/pubsub</c> URL.</param>
    /// <param name="token">A token (JWT) for the handshake, or null.</param>
    public ActorSocketClient(Uri url, string? token = null)
        : this(new ActorSocketClientOptions { Token = token, Urls = { url } })
    {
    }

    /// <summary>The connection's state changed (raised for each change, in order).</summary>
    public event Action<ClientStateChange>? StateChanged;

    /// <summary>The server subscribed this connection to a topic through its server API (<c>{"op":"subscribed",...}</c>); subscribe by yourself to read it with a <see cref="Subscription"/>.</summary>
    public event Action<string>? ServerSubscribed;

    /// <summary>The connection's state.</summary>
    public ClientState State { get; private set; }

    /// <summary>The server's id of the current connection (from <c>connected</c>), or null.</summary>
    public string? ClientId { get; private set; }

    /// <summary>The user the server knows the connection as (the token's <c>sub</c>; empty: anonymous), or null before the first connection.</summary>
    public string? User { get; private set; }

    /// <summary>
    /// Starts the connection and waits until it is connected. Failed attempts that are worth
    /// retrying are retried with the backoff meanwhile; one that is not (a refused token, 4xx)
    /// throws, as does <paramref name="cancellation"/>.
    /// </summary>
    public async Task ConnectAsync(CancellationToken cancellation = default)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_stop.IsCancellationRequested, this);
            _loop ??= Task.Run(RunAsync);
        }

        await _firstConnect.Task.WaitAsync(cancellation).ConfigureAwait(false);
    }

    /// <summary>Subscribes to <paramref name="topic"/> and returns its messages (enumerate the subscription).</summary>
    /// <exception cref="ActorSocketException">The server refused (<c>forbidden</c>, <c>bad_request</c>, ...).</exception>
    public async Task<Subscription> SubscribeAsync(string topic, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        var subscription = new Subscription(this, topic, _options.SubscriptionBuffer);
        if (!_subscriptions.TryAdd(topic, subscription))
        {
            throw new InvalidOperationException("Already subscribed to " + topic + ": a topic has one subscription per client.");
        }

        try
        {
            JsonElement ack = await RequestAsync(json => { json.WriteString("op", "subscribe"); json.WriteString("topic", topic); }, cancellation).ConfigureAwait(false);
            subscription.Acknowledged(ack, resubscribe: false);
            return subscription;
        }
        catch
        {
            _subscriptions.TryRemove(new KeyValuePair<string, Subscription>(topic, subscription));
            subscription.Complete();
            throw;
        }
    }

    /// <summary>Subscribes and hands each message to <paramref name="onMessage"/>, in order, until unsubscribed or closed.</summary>
    public async Task<Subscription> SubscribeAsync(string topic, Func<ClientMessage, Task> onMessage, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(onMessage);
        Subscription subscription = await SubscribeAsync(topic, cancellation).ConfigureAwait(false);
        _ = Task.Run(async () =>
        {
            await foreach (ClientMessage message in subscription.ConfigureAwait(false))
            {
                await onMessage(message).ConfigureAwait(false);
            }
        });
        return subscription;
    }

    /// <summary>Publishes <paramref name="data"/> (any JSON value) on <paramref name="topic"/> and waits for the server's acknowledgement.</summary>
    /// <exception cref="ActorSocketException">Refused, rate limited, or the connection dropped before the answer (<c>connection_lost</c>: it may or may not have been delivered).</exception>
    public async Task<PublishResult> PublishAsync(string topic, JsonElement data, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        await RequestAsync(json => { json.WriteString("op", "publish"); json.WriteString("topic", topic); json.WritePropertyName("data"); data.WriteTo(json); }, cancellation).ConfigureAwait(false);
        return new PublishResult(true);
    }

    /// <summary>Publishes a string.</summary>
    public Task<PublishResult> PublishAsync(string topic, string data, CancellationToken cancellation = default) =>
        PublishAsync(topic, JsonSerializer.SerializeToElement(data, ClientJson.Default.String), cancellation);

    /// <summary>Reads a topic's history: the newest <paramref name="limit"/> messages (all kept when null), or with <paramref name="since"/> the messages after it.</summary>
    /// <returns>The <c>history</c> answer: <c>epoch</c>, <c>offset</c>, <c>messages</c>, and with <paramref name="since"/> <c>recovered</c>.</returns>
    public Task<JsonElement> HistoryAsync(string topic, int? limit = null, StreamPosition? since = null, CancellationToken cancellation = default) =>
        RequestAsync(
            json =>
            {
                json.WriteString("op", "history");
                json.WriteString("topic", topic);
                if (limit is { } most)
                {
                    json.WriteNumber("limit", most);
                }

                if (since is { } at)
                {
                    json.WriteStartObject("since");
                    json.WriteString("epoch", at.Epoch);
                    json.WriteNumber("offset", at.Offset);
                    json.WriteEndObject();
                }
            },
            cancellation);

    /// <summary>Who is present on a topic (<c>presence</c>): <c>clients</c> with client, user and info, or the counts past the server's cap.</summary>
    public Task<JsonElement> PresenceAsync(string topic, CancellationToken cancellation = default) =>
        RequestAsync(json => { json.WriteString("op", "presence"); json.WriteString("topic", topic); }, cancellation);

    /// <summary>How many are present on a topic (<c>presence-stats</c>): <c>clients</c> and <c>users</c>.</summary>
    public Task<JsonElement> PresenceStatsAsync(string topic, CancellationToken cancellation = default) =>
        RequestAsync(json => { json.WriteString("op", "presence-stats"); json.WriteString("topic", topic); }, cancellation);

    /// <summary>Closes the connection (1000) and stops reconnecting; every subscription ends.</summary>
    public async ValueTask DisposeAsync()
    {
        Task? loop;
        lock (_lock)
        {
            if (_stop.IsCancellationRequested)
            {
                return;
            }

            _stop.Cancel();
            loop = _loop;
        }

        ClientWebSocket? socket = _socket;
        if (socket is { State: WebSocketState.Open })
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token).ConfigureAwait(false);
            }
            catch (Exception error) when (error is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
                // closing anyway
            }
        }

        socket?.Abort();
        if (loop is not null)
        {
            await loop.ConfigureAwait(false);
        }

        Finish(new ActorSocketException("closed", "the client was disposed"));
        _sendLock.Dispose();
        _stop.Dispose();
    }

    internal async Task UnsubscribeAsync(Subscription subscription, CancellationToken cancellation)
    {
        if (!_subscriptions.TryRemove(new KeyValuePair<string, Subscription>(subscription.Topic, subscription)))
        {
            return;
        }

        subscription.Complete();
        if (State == ClientState.Connected)
        {
            await RequestAsync(json => { json.WriteString("op", "unsubscribe"); json.WriteString("topic", subscription.Topic); }, cancellation).ConfigureAwait(false);
        }
    }

    /// <summary>Sends a request with a fresh id and waits for its answer; an <c>error</c> answer throws.</summary>
    private async Task<JsonElement> RequestAsync(Action<Utf8JsonWriter> body, CancellationToken cancellation)
    {
        using var timeout = new CancellationTokenSource(_options.RequestTimeout, _options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellation, timeout.Token, _stop.Token);
        try
        {
            await _connected.Task.WaitAsync(linked.Token).ConfigureAwait(false);
            long id = Interlocked.Increment(ref _nextId);
            var answer = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
            _pending[id] = answer;
            try
            {
                await SendAsync(Encode(body, id), linked.Token).ConfigureAwait(false);
                JsonElement reply = await answer.Task.WaitAsync(linked.Token).ConfigureAwait(false);
                return reply.GetProperty("op").GetString() == "error"
                    ? throw new ActorSocketException(reply.TryGetProperty("code", out JsonElement code) ? code.GetString() ?? "error" : "error", reply.TryGetProperty("message", out JsonElement message) ? message.GetString() ?? string.Empty : string.Empty)
                    : reply;
            }
            finally
            {
                _pending.TryRemove(id, out _);
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellation.IsCancellationRequested)
        {
            throw new ActorSocketException("timeout", "no answer within " + _options.RequestTimeout.TotalSeconds + " s");
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested && !cancellation.IsCancellationRequested)
        {
            throw new ActorSocketException("closed", "the client was disposed");
        }
        catch (WebSocketException error)
        {
            throw new ActorSocketException("connection_lost", "the connection dropped before the answer: " + error.Message);
        }
    }

    private static byte[] Encode(Action<Utf8JsonWriter> body, long? id)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            body(json);
            if (id is { } value)
            {
                json.WriteNumber("id", value);
            }

            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private async Task SendAsync(byte[] frame, CancellationToken cancellation)
    {
        ClientWebSocket socket = _socket ?? throw new ActorSocketException("connection_lost", "not connected");
        await _sendLock.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            await socket.SendAsync(frame, WebSocketMessageType.Text, true, cancellation).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>The connection loop: connect, resubscribe, read until the end, decide, wait, again.</summary>
    private async Task RunAsync()
    {
        int attempt = 0;
        CancellationToken stop = _stop.Token;
        while (!stop.IsCancellationRequested)
        {
            Uri url = _options.Urls[_url % _options.Urls.Count];
            SetState(new ClientStateChange(ClientState.Connecting, null, null, null, url));
            (int? code, string reason, DateTimeOffset? connectedAt) = await ConnectionAsync(url, stop).ConfigureAwait(false);
            _connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            FailPending(reason);
            if (stop.IsCancellationRequested)
            {
                break;
            }

            if (connectedAt is { } at && _options.TimeProvider.GetUtcNow() - at >= _options.StableAfter)
            {
                attempt = 0; // it was a good connection: retry quickly
            }

            bool retry = ReconnectBackoff.WorthRetrying(code, _options.TokenProvider is not null)
                && (_options.MaxReconnectAttempts == 0 || attempt < _options.MaxReconnectAttempts);
            if (!retry)
            {
                SetState(new ClientStateChange(ClientState.Closed, code, reason, null, url));
                var error = new ActorSocketException(code is 3000 or 3001 or 401 or 403 ? "unauthorized" : "closed", "the connection to " + url + " ended (" + (code?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "lost") + ": " + reason + ") and is not retried");
                _firstConnect.TrySetException(error);
                Finish(error);
                return;
            }

            TimeSpan delay = ReconnectBackoff.Delay(attempt++, _options.ReconnectFloor, _options.ReconnectCap, _options.Random.NextDouble());
            SetState(new ClientStateChange(ClientState.Disconnected, code, reason, delay, url));
            _url++; // the next attempt tries the next server
            try
            {
                await Task.Delay(delay, _options.TimeProvider, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        SetState(new ClientStateChange(ClientState.Closed, 1000, "closed by the application", null, null));
    }

    /// <summary>One connection, from the handshake to its end: the close code (or HTTP status) and reason, and when it was connected.</summary>
    private async Task<(int? Code, string Reason, DateTimeOffset? ConnectedAt)> ConnectionAsync(Uri url, CancellationToken stop)
    {
        using var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = _options.PingInterval;
        socket.Options.KeepAliveTimeout = _options.PingTimeout;
        socket.Options.CollectHttpResponseDetails = true;
        try
        {
            string? token = _options.TokenProvider is { } provider ? await provider(stop).ConfigureAwait(false) : _options.Token;
            if (!string.IsNullOrEmpty(token))
            {
                socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
            }

            using (var timeout = new CancellationTokenSource(_options.ConnectTimeout, _options.TimeProvider))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, timeout.Token))
            {
                await socket.ConnectAsync(url, linked.Token).ConfigureAwait(false);
            }
        }
        catch (Exception error) when (error is WebSocketException or OperationCanceledException or System.Net.Http.HttpRequestException or IOException)
        {
            int status = (int)socket.HttpStatusCode;
            return (status is >= 400 ? status : null, error.Message, null);
        }

        _socket = socket;
        Task<(int?, string)> reading = ReadAsync(socket, stop);
        try
        {
            // Who we are, then every subscription again, each from where it was.
            JsonElement connected = await RequestOnAsync(json => json.WriteString("op", "connect"), stop).ConfigureAwait(false);
            ClientId = connected.TryGetProperty("client", out JsonElement client) ? client.GetString() : null;
            User = connected.TryGetProperty("user", out JsonElement user) ? user.GetString() : string.Empty;
            await Task.WhenAll(_subscriptions.Values.Select(subscription => ResubscribeAsync(subscription, stop))).ConfigureAwait(false);
        }
        catch (Exception error) when (error is ActorSocketException or WebSocketException or OperationCanceledException)
        {
            socket.Abort();
            (int? code, string reason) = await reading.ConfigureAwait(false);
            _socket = null;
            return (code, reason.Length > 0 ? reason : error.Message, null);
        }

        DateTimeOffset connectedAt = _options.TimeProvider.GetUtcNow();
        SetState(new ClientStateChange(ClientState.Connected, null, null, null, url));
        _connected.TrySetResult();
        _firstConnect.TrySetResult();
        (int? closeCode, string closeReason) = await reading.ConfigureAwait(false);
        _socket = null;
        return (closeCode, closeReason, connectedAt);
    }

    private async Task ResubscribeAsync(Subscription subscription, CancellationToken stop)
    {
        StreamPosition? since = subscription.Position;
        try
        {
            JsonElement ack = await RequestOnAsync(
                json =>
                {
                    json.WriteString("op", "subscribe");
                    json.WriteString("topic", subscription.Topic);
                    if (since is { Epoch.Length: > 0 } at)
                    {
                        json.WriteStartObject("since");
                        json.WriteString("epoch", at.Epoch);
                        json.WriteNumber("offset", at.Offset);
                        json.WriteEndObject();
                    }
                },
                stop).ConfigureAwait(false);
            subscription.Acknowledged(ack, resubscribe: true);
        }
        catch (ActorSocketException error) when (error.Code is "forbidden" or "unauthorized" or "bad_request")
        {
            // No longer allowed (a new token, a changed namespace): the subscription ends with why.
            _subscriptions.TryRemove(new KeyValuePair<string, Subscription>(subscription.Topic, subscription));
            subscription.Complete(error);
        }
    }

    /// <summary>A request on the connection being set up (before it counts as connected).</summary>
    private async Task<JsonElement> RequestOnAsync(Action<Utf8JsonWriter> body, CancellationToken stop)
    {
        long id = Interlocked.Increment(ref _nextId);
        var answer = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = answer;
        try
        {
            using var timeout = new CancellationTokenSource(_options.RequestTimeout, _options.TimeProvider);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, timeout.Token);
            await SendAsync(Encode(body, id), linked.Token).ConfigureAwait(false);
            JsonElement reply = await answer.Task.WaitAsync(linked.Token).ConfigureAwait(false);
            return reply.GetProperty("op").GetString() == "error"
                ? throw new ActorSocketException(reply.GetProperty("code").GetString() ?? "error", reply.TryGetProperty("message", out JsonElement m) ? m.GetString() ?? string.Empty : string.Empty)
                : reply;
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    /// <summary>Reads messages until the connection ends; returns the close code and reason (null code: lost without a close).</summary>
    private async Task<(int? Code, string Reason)> ReadAsync(ClientWebSocket socket, CancellationToken stop)
    {
        var message = new ArrayBufferWriter<byte>(4096);
        try
        {
            while (true)
            {
                ValueWebSocketReceiveResult result = await socket.ReceiveAsync(message.GetMemory(4096), stop).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return ((int?)socket.CloseStatus, socket.CloseStatusDescription ?? string.Empty);
                }

                message.Advance(result.Count);
                if (message.WrittenCount > _options.MaxMessageBytes)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.MessageTooBig, "message too big", CancellationToken.None).ConfigureAwait(false);
                    socket.Abort();
                    return (1009, "a message over " + _options.MaxMessageBytes + " bytes");
                }

                if (!result.EndOfMessage)
                {
                    continue;
                }

                if (result.MessageType == WebSocketMessageType.Text)
                {
                    await DispatchAsync(message.WrittenMemory, stop).ConfigureAwait(false);
                }

                message.ResetWrittenCount();
            }
        }
        catch (Exception error) when (error is WebSocketException or OperationCanceledException or IOException or JsonException or ObjectDisposedException)
        {
            socket.Abort();
            return (socket.CloseStatus is { } status ? (int)status : null, error.Message);
        }
    }

    private async ValueTask DispatchAsync(ReadOnlyMemory<byte> utf8, CancellationToken stop)
    {
        using JsonDocument document = JsonDocument.Parse(utf8);
        JsonElement frame = document.RootElement;
        string? op = frame.TryGetProperty("op", out JsonElement opElement) ? opElement.GetString() : null;
        string? topic = frame.TryGetProperty("topic", out JsonElement topicElement) ? topicElement.GetString() : null;
        switch (op)
        {
            case "message" when topic is not null:
                Subscription? subscription = Find(topic);
                if (subscription is not null)
                {
                    long? offset = frame.TryGetProperty("offset", out JsonElement o) ? o.GetInt64() : null;
                    await subscription.DeliverAsync(new ClientMessage(topic, offset, frame.GetProperty("data").Clone()), stop).ConfigureAwait(false);
                }

                return;
            case "join" or "leave" or "presence-diff" when topic is not null:
                Find(topic)?.Presence(frame.Clone());
                return;
            case "subscribed" when topic is not null:
                ServerSubscribed?.Invoke(topic);
                return;
            case "unsubscribed" when topic is not null:
                if (_subscriptions.TryRemove(topic, out Subscription? ended))
                {
                    ended.Complete(); // the server ended it (server API)
                }

                return;
        }

        if (frame.TryGetProperty("id", out JsonElement id) && id.ValueKind == JsonValueKind.Number && id.TryGetInt64(out long key) && _pending.TryGetValue(key, out TaskCompletionSource<JsonElement>? waiting))
        {
            waiting.TrySetResult(frame.Clone());
        }
    }

    /// <summary>The subscription a message of <paramref name="topic"/> belongs to: by name, or the first wildcard pattern that matches.</summary>
    private Subscription? Find(string topic)
    {
        if (_subscriptions.TryGetValue(topic, out Subscription? exact))
        {
            return exact;
        }

        foreach (Subscription subscription in _subscriptions.Values)
        {
            if (Matches(subscription.Topic, topic))
            {
                return subscription;
            }
        }

        return null;
    }

    /// <summary>NATS-style matching: <c>*</c> one token, <c>&gt;</c> the rest; tokens split by '.' after the namespace.</summary>
    internal static bool Matches(string pattern, string topic)
    {
        if (!pattern.Contains('*', StringComparison.Ordinal) && !pattern.Contains('>', StringComparison.Ordinal))
        {
            return false;
        }

        int patternColon = pattern.IndexOf(':', StringComparison.Ordinal);
        int topicColon = topic.IndexOf(':', StringComparison.Ordinal);
        if (patternColon < 0 || topicColon < 0 || !pattern.AsSpan(0, patternColon).SequenceEqual(topic.AsSpan(0, topicColon)))
        {
            return false;
        }

        string[] wanted = pattern[(patternColon + 1)..].Split('.');
        string[] tokens = topic[(topicColon + 1)..].Split('.');
        for (int i = 0; i < wanted.Length; i++)
        {
            if (wanted[i] == ">")
            {
                return tokens.Length > i;
            }

            if (i >= tokens.Length || (wanted[i] != "*" && wanted[i] != tokens[i]))
            {
                return false;
            }
        }

        return wanted.Length == tokens.Length;
    }

    private void FailPending(string reason)
    {
        foreach (KeyValuePair<long, TaskCompletionSource<JsonElement>> pending in _pending)
        {
            pending.Value.TrySetException(new ActorSocketException("connection_lost", "the connection dropped before the answer (" + reason + "); the request may or may not have taken effect"));
        }
    }

    private void Finish(Exception error)
    {
        foreach (Subscription subscription in _subscriptions.Values)
        {
            subscription.Complete(error is ActorSocketException { Code: "closed" } ? null : error);
        }

        _subscriptions.Clear();
        _connected.TrySetException(error);
        _firstConnect.TrySetException(error);
    }

    private void SetState(ClientStateChange change)
    {
        State = change.State;
        StateChanged?.Invoke(change);
    }
}

/// <summary>The JSON types the client serializes itself (source-generated: no reflection).</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class ClientJson : System.Text.Json.Serialization.JsonSerializerContext;
