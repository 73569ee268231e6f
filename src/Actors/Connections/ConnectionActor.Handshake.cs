using System.Buffers;
using System.Net;
using ActorSocket.Actors.Handlers;
using ActorSocket.Protocol;
using ActorSocket.Protocol.Http;
using Akka.Actor;
using Microsoft.Extensions.Logging;

namespace ActorSocket.Actors.Connections;

public sealed partial class ConnectionActor
{
    private byte[]? _head;
    private int _headLength;
    private HttpRequest? _request;
    private Route? _route;
    private IPAddress? _countedAddress;

    private void OnHandshakeData(ReadOnlySpan<byte> data)
    {
        _head ??= ConnectionBuffers.Pool.Rent(Settings.Http.MaxHeadBytes + Settings.ReadBufferSize);
        data.CopyTo(_head.AsSpan(_headLength));
        _headLength += data.Length;

        HttpParseStatus status = HttpRequestParser.TryParse(_head.AsSpan(0, _headLength), Settings.Http, out HttpRequest? request, out HttpResponse? error, out int consumed);
        switch (status)
        {
            case HttpParseStatus.Incomplete:
                return;
            case HttpParseStatus.Invalid:
                _context.Logger.LogInformation("Connection {ConnectionId} from {RemoteAddress} sent a malformed request: {Status} {Problem}", _id, Remote, error!.StatusCode, System.Text.Encoding.UTF8.GetString(error.Body.Span).TrimEnd());
                Respond(error);
                return;
        }

        _request = request!;
        if (_overCapacity && _request.IsWebSocketUpgrade)
        {
            // Admitted in the supervisor's HTTP headroom: plain routes (/healthz, /metrics) are answered.
            Respond(HttpResponse.Text(503, "the server is at its connection limit"));
            return;
        }

        if (_shuttingDown)
        {
            Respond(HttpResponse.Text(503, "the server is shutting down"));
            return;
        }

        Route? route = _context.Routes.Find(_request.Path);
        if (route is null)
        {
            Task<HttpResponse>? answer = _request.IsWebSocketUpgrade ? null : _context.Http.TryHandle(_request);
            if (answer is null)
            {
                Respond(HttpResponse.Text(404, "no route for " + _request.Path));
                return;
            }

            _state = State.Responding;
            answer.PipeTo(Self, success: response => new HttpAnswered(response), failure: _ => new HttpAnswered(HttpResponse.Text(500, "internal error")));
            return;
        }

        HandshakeDecision decision = WebSocketHandshake.Decide(_request, route.Handshake);
        if (!decision.IsAccepted)
        {
            Respond(decision.Response);
            return;
        }

        IPEndPoint? peer = _transport.RemoteEndPoint as IPEndPoint;
        IPEndPoint? client = (_context.Proxies ?? TrustedProxies.None).ClientOf(peer, _request);
        if (client is not null && peer is not null && !client.Address.Equals(peer.Address) && _context.AddressLimits.IsActive)
        {
            // A trusted proxy named the client: the per-address limits apply to it, not to the proxy
            // (which the acceptor did not count).
            string? refusal = _context.AddressLimits.Admit(client.Address, out _countedAddress);
            if (refusal is not null)
            {
                _context.Metrics.RefusedConnections.WithLabels(refusal).Inc();
                _context.Logger.LogDebug("Connection {ConnectionId} for {RemoteAddress} refused ({Reason})", _id, client, refusal);
                Respond(HttpResponse.Text(429, "too many connections from this client address", [new("Retry-After", "1")]));
                return;
            }
        }
        if (route.Hooks is { Count: > 0 } hooks)
        {
            // Reading pauses (no Continue) until the hooks have decided.
            _state = State.Deciding;
            RunHooksAsync(hooks, new HandshakeContext(_request, client, decision, null), Cancellation)
                .PipeTo(Self, success: verdict => new HookDecided(route, decision, consumed, verdict, client), failure: error => new HookDecided(route, decision, consumed, HookFailed(error), client));
            return;
        }

        Accept(route, decision, consumed, null, client);
    }

    private sealed record HookDecided(Route Route, HandshakeDecision Decision, int Consumed, HandshakeVerdict Verdict, IPEndPoint? Client);

    private static async Task<HandshakeVerdict> RunHooksAsync(IReadOnlyList<IHandshakeHook> hooks, HandshakeContext context, CancellationToken cancellation)
    {
        object? identity = null;
        string? subProtocol = null;
        foreach (IHandshakeHook hook in hooks)
        {
            HandshakeVerdict verdict = await hook.DecideAsync(context with { Identity = identity }, cancellation).ConfigureAwait(false);
            if (verdict.Refusal is not null)
            {
                return verdict;
            }

            identity = verdict.Identity ?? identity;
            subProtocol = verdict.SubProtocol ?? subProtocol;
        }

        return HandshakeVerdict.Accept(identity, subProtocol);
    }

    private HandshakeVerdict HookFailed(Exception error)
    {
        _context.Logger.LogError(error, "A handshake hook failed for connection {ConnectionId} on {Path}; answering 500", _id, _path ?? _request?.Path);
        return HandshakeVerdict.Refuse(500, "internal error");
    }

    private void OnHookDecided(HookDecided decided)
    {
        if (_state != State.Deciding)
        {
            return; // the handshake timed out meanwhile
        }

        _state = State.Handshaking;
        if (decided.Verdict.Refusal is { } refusal)
        {
            _context.Logger.LogInformation("Connection {ConnectionId} from {RemoteAddress} refused by a handshake hook: {Status}", _id, decided.Client?.ToString() ?? Remote, refusal.StatusCode);
            Respond(refusal);
        }
        else
        {
            HandshakeDecision decision = decided.Decision;
            string? chosen = decided.Verdict.SubProtocol;
            if (chosen is not null && chosen != decision.SubProtocol && _request!.SubProtocols.Contains(chosen))
            {
                decision = WebSocketHandshake.Accept(_request, chosen, decision.Deflate, decided.Route.Handshake.ExtraHeaders);
            }

            Accept(decided.Route, decision, decided.Consumed, decided.Verdict.Identity, decided.Client);
        }

        ResumeReading();
    }

    private void Accept(Route route, HandshakeDecision decision, int consumed, object? identity, IPEndPoint? client)
    {
        if (client is not null && !client.Equals(_transport.RemoteEndPoint))
        {
            _remote = client.ToString(); // a trusted proxy named the client
        }

        Cancel(ref _handshakeTimer);
        _context.Metrics.Handshakes.WithLabels("101").Inc();
        _raw = new ArrayBufferWriter<byte>(256);
        decision.Response.WriteTo(_raw);
        _codec = new WebSocketCodec(Role.Server, Settings.ServerCodec, decision.Deflate);
        _state = State.Open;
        _opened = true;
        _context.Metrics.OpenConnections.Inc();
        var info = new ConnectionInfo(_id, _request!, (EndPoint?)client ?? _transport.RemoteEndPoint, decision.SubProtocol, decision.Deflate is not null, _transport.IsSecure, DateTimeOffset.UtcNow, identity, _transport.RemoteEndPoint);

        // The request goes to the handler, which keeps what it needs; this actor keeps only the path
        // (the route's own string when they are equal, so idle connections share it).
        _path = _request!.Path == route.Path ? route.Path : _request.Path;
        _request = null;
        _context.Logger.LogDebug("Connection {ConnectionId} from {RemoteAddress} opened {Path}", _id, Remote, _path);

        StartKeepalive();
        _route = route;
        // Messages handed to a handler actor and not yet taken by it are bounded: past the window
        // the socket is not read (websockets' max_queue). Inline handlers run here and queue nothing.
        _inboundWindow = route.InboundWindow ?? (route.Inline is not null ? Settings.InlinePending : Settings.HandlerMailbox is not null ? Settings.HandlerQueue : 0);
        if (route.Inline is { } inline)
        {
            _inline = inline(info);
        }
        else
        {
            StartHandlerActor(route, info);
        }

        // Frames the client sent right behind its request (the 101 still goes out first).
        if (_headLength > consumed)
        {
            _codec.ReceiveData(_head.AsSpan(consumed, _headLength - consumed));
            ReturnHead();
            ProcessEvents();
        }

        ReturnHead();
        Flush();
    }

    private void StartHandlerActor(Route route, ConnectionInfo info)
    {
        Props handlerProps = route.HandlerProps(info);
        string? dispatcher = route.Dispatcher ?? Settings.HandlerDispatcher;
        if (dispatcher is not null && (string.IsNullOrEmpty(handlerProps.Dispatcher) || handlerProps.Dispatcher == Akka.Dispatch.Dispatchers.DefaultDispatcherId))
        {
            handlerProps = handlerProps.WithDispatcher(dispatcher);
        }

        if (route.InboundWindow is null && Settings.HandlerMailbox is { } mailbox && string.IsNullOrEmpty(handlerProps.Mailbox))
        {
            // The handler's mailbox acknowledges each message as the handler takes it (HandlerMailbox).
            handlerProps = handlerProps.WithMailbox(mailbox);
        }

        _handler = Context.ActorOf(handlerProps, "handler");
        Context.Watch(_handler);
        _handler.Tell(new Handler.Connected(info, Self, _context.Topics));
    }

    /// <summary>Sends a plain HTTP response, then closes the connection.</summary>
    private void Respond(HttpResponse response)
    {
        Cancel(ref _handshakeTimer);
        ReturnHead();
        _context.Metrics.Handshakes.WithLabels(response.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
        _raw = new ArrayBufferWriter<byte>(256 + response.Body.Length);
        response.WithHeader("Connection", "close").WriteTo(_raw);
        _state = State.Responding;
        _closeWhenFlushed = true;
        Flush();
    }

    private void OnHandshakeTimeout()
    {
        if (_state == State.Responding)
        {
            // A plain HTTP route that has not produced its answer in time (Respond cancels this timer).
            _context.Logger.LogWarning("Connection {ConnectionId} from {RemoteAddress}: no answer for {Path} within {HandshakeTimeoutSeconds} s; dropping it", _id, Remote, _request?.Path, Settings.HandshakeTimeout.TotalSeconds);
            _transport.Abort();
            Context.Stop(Self);
            return;
        }

        if (_state is not (State.Starting or State.Handshaking or State.Deciding))
        {
            return;
        }

        // A slowloris client: drop it without an answer, and report it.
        _transport.Abort();
        _reported = true;
        Report(Termination(TerminationCause.HandshakeTimeout, CloseCode.AbnormalClosure, "handshake not completed in " + Settings.HandshakeTimeout.TotalSeconds + " s"));
        Context.Stop(Self);
    }

    /// <summary>
    /// Gives back this connection's place in the per-address limits (counted at accept, or for the
    /// client a trusted proxy named); once, as soon as the connection ends.
    /// </summary>
    private void ReleaseCountedAddress()
    {
        if (_countedAddress is not null)
        {
            _context.AddressLimits.Release(_countedAddress);
            _countedAddress = null;
        }
    }

    private void ReturnHead()
    {
        if (_head is not null)
        {
            ConnectionBuffers.Pool.Return(_head);
            _head = null;
            _headLength = 0;
        }
    }

    private void LogTlsFailure(Exception error) =>
        _context.Logger.LogInformation("Connection {ConnectionId} from {RemoteAddress} failed the TLS handshake: {Problem}", _id, Remote, error.Message);
}
