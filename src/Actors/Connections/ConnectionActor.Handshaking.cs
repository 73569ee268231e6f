using System.Net;
using ActorSocket.Actors.Handlers;
using ActorSocket.Actors.Transport;
using ActorSocket.Protocol.Http;
using Akka.Actor;
using Microsoft.Extensions.Logging;

namespace ActorSocket.Actors.Connections;

/// <summary>
/// Phase 1, Handshaking: from the accepted socket to an open WebSocket (<see cref="Accept"/>) or a
/// plain HTTP answer (<see cref="Respond"/>). Everything it needs is in <see cref="HandshakeState"/>,
/// dropped when the phase ends, so an open connection holds nothing of its handshake.
/// </summary>
internal sealed partial class ConnectionActor
{
    private enum HandshakeStep
    {
        /// <summary>The transport starts (the TLS handshake); nothing is read yet.</summary>
        Starting,

        /// <summary>The request head is read.</summary>
        Reading,

        /// <summary>A plain HTTP route's body is read (bounded by the route's limit and the handshake timeout).</summary>
        ReadingBody,

        /// <summary>The route's handshake hooks decide; reading waits.</summary>
        Deciding,

        /// <summary>A plain HTTP route works out its answer; what the client sends meanwhile is discarded.</summary>
        Routing,

        /// <summary>The HTTP answer (or refusal) is being written; the connection closes once it is out.</summary>
        Responding,
    }

    private void StartHandshake(bool overCapacity)
    {
        _handshake = new HandshakeState
        {
            OverCapacity = overCapacity,
            Timer = Schedule(Settings.HandshakeTimeout, HandshakeTimeout.Instance),
        };

        // No token: ending the connection disposes the transport, which ends a TLS handshake in progress.
        Task started = _transport.StartAsync(CancellationToken.None);
        if (started.IsCompletedSuccessfully)
        {
            OnTransportStarted(null); // plain TCP: nothing to wait for, no message round trip
            return;
        }

        IActorRef self = Self;
        started.ContinueWith(
            task => self.Tell(new TransportStarted(task.Exception?.GetBaseException() ?? (task.IsCanceled ? new OperationCanceledException() : null))),
            TaskContinuationOptions.ExecuteSynchronously);
    }

    /// <summary>The messages of the Handshaking phase.</summary>
    private bool Handshaking(object message)
    {
        switch (message)
        {
            case TransportStarted started:
                OnTransportStarted(started.Error);
                return true;
            case HookDecided decided:
                OnHookDecided(decided);
                return true;
            case HttpAnswered answered:
                if (_handshake!.Step == HandshakeStep.Routing)
                {
                    Respond(answered.Response);
                }

                return true;
            case HandshakeTimeout when Fired(ref _handshake!.Timer):
                OnHandshakeTimeout();
                return true;
            case Shutdown:
                _shuttingDown = true;
                if (_handshake!.Step is HandshakeStep.Starting or HandshakeStep.Reading or HandshakeStep.ReadingBody)
                {
                    End(null, EndMode.Abort);
                }
                else
                {
                    // Hooks deciding, or an HTTP answer on its way: it finishes, and an upgrade gets 503.
                    _context.Logger.LogDebug("Connection {ConnectionId} from {RemoteAddress}: the server shuts down during its handshake, which is answered first", _id, Remote);
                }

                return true;
            default:
                return false;
        }
    }

    private void OnTransportStarted(Exception? error)
    {
        if (_handshake!.Step != HandshakeStep.Starting)
        {
            return;
        }

        if (error is not null)
        {
            // A failed TLS handshake: nothing was said in WebSocket terms yet.
            _context.Logger.LogInformation("Connection {ConnectionId} from {RemoteAddress} failed the TLS handshake: {Problem}", _id, Remote, error.Message);
            End(null, EndMode.Abort);
            return;
        }

        _handshake.Step = HandshakeStep.Reading;
        _reader = TransportReader.Start(
            _transport,
            Self,
            Settings.ReadBufferSize,
            problem => _context.Logger.LogDebug("Connection {ConnectionId} from {RemoteAddress} could not be watched for reads: {Problem}", _id, Remote, problem));
    }

    private void OnHandshakeData(ReadOnlySpan<byte> data)
    {
        HandshakeState handshake = _handshake!;
        handshake.Head ??= ConnectionBuffers.Pool.Rent(Settings.Http.MaxHeadBytes + Settings.ReadBufferSize);
        data.CopyTo(handshake.Head.AsSpan(handshake.HeadLength));
        handshake.HeadLength += data.Length;

        HttpParseStatus status = HttpRequestParser.TryParse(handshake.Head.AsSpan(0, handshake.HeadLength), Settings.Http, out HttpRequest? parsed, out HttpResponse? error, out int consumed);
        switch (status)
        {
            case HttpParseStatus.Incomplete:
                return;
            case HttpParseStatus.Invalid:
                _context.Logger.LogInformation("Connection {ConnectionId} from {RemoteAddress} sent a malformed request: {Status} {Problem}", _id, Remote, error!.StatusCode, System.Text.Encoding.UTF8.GetString(error.Body.Span).TrimEnd());
                Respond(error);
                return;
        }

        HttpRequest request = handshake.Request = parsed!;
        handshake.Consumed = consumed;
        if (handshake.OverCapacity && request.IsWebSocketUpgrade)
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

        if (request.IsWebSocketUpgrade && _context.Http.UpgradeRefusal() is { } notServing)
        {
            Respond(HttpResponse.Text(503, notServing));
            return;
        }

        Route? route = _context.Routes.Find(request.Path);
        if (route is null && !request.IsWebSocketUpgrade && _context.Http.BodyLimit(request) is > 0 and int limit)
        {
            // A plain route that takes a body (the server API): read it whole first.
            int? length = HttpRequestParser.BodyLength(request, limit, out HttpResponse? refused);
            if (length is null)
            {
                _context.Logger.LogInformation("Connection {ConnectionId} from {RemoteAddress}: {Path} refused: {Status} {Problem}", _id, Remote, request.Path, refused!.StatusCode, System.Text.Encoding.UTF8.GetString(refused.Body.Span).TrimEnd());
                Respond(refused);
                return;
            }

            if (length > 0)
            {
                handshake.Body = new byte[length.Value];
                handshake.Step = HandshakeStep.ReadingBody;
                int early = handshake.HeadLength - consumed;
                if (early > 0)
                {
                    OnBodyData(handshake.Head.AsSpan(consumed, early));
                    return;
                }

                if (string.Equals(request.GetHeader("Expect"), "100-continue", StringComparison.OrdinalIgnoreCase))
                {
                    // RFC 9110 10.1.1: the client waits for this before it sends the body.
                    _raw = new System.Buffers.ArrayBufferWriter<byte>(32);
                    System.Buffers.BuffersExtensions.Write(_raw, "HTTP/1.1 100 Continue\r\n\r\n"u8);
                    Flush();
                }

                return;
            }
        }

        if (route is null)
        {
            Task<HttpResponse>? answer = request.IsWebSocketUpgrade ? null : _context.Http.TryHandle(request);
            if (answer is null)
            {
                Respond(HttpResponse.Text(404, "no route for " + request.Path));
                return;
            }

            Route(answer);
            return;
        }

        HandshakeDecision decision = WebSocketHandshake.Decide(request, route.Handshake);
        if (!decision.IsAccepted)
        {
            Respond(decision.Response);
            return;
        }

        IPEndPoint? peer = _transport.RemoteEndPoint as IPEndPoint;
        IPEndPoint? client = (_context.Proxies ?? TrustedProxies.None).ClientOf(peer, request);
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
            // Reading pauses (WantsBytes is false) until the hooks have decided.
            handshake.Step = HandshakeStep.Deciding;
            RunHooksAsync(hooks, new HandshakeContext(request, client, decision, null), Cancellation)
                .PipeTo(Self, success: verdict => new HookDecided(route, decision, verdict, client), failure: error => new HookDecided(route, decision, HookFailed(error), client));
            return;
        }

        Accept(route, decision, null, client);
    }

    /// <summary>Bytes of a plain route's body; once it is whole, the route answers (bytes past it are discarded).</summary>
    private void OnBodyData(ReadOnlySpan<byte> data)
    {
        HandshakeState handshake = _handshake!;
        int take = Math.Min(data.Length, handshake.Body!.Length - handshake.BodyLength);
        data[..take].CopyTo(handshake.Body.AsSpan(handshake.BodyLength));
        handshake.BodyLength += take;
        if (handshake.BodyLength < handshake.Body.Length)
        {
            return;
        }

        // The next request may follow on this connection (HTTP/1.1 keep-alive) unless the client asked
        // to close; bytes past this body are that request (pipelined), kept for it.
        HttpRequest finished = handshake.Request!;
        handshake.KeepAlive = finished.Version == "HTTP/1.1"
            && !string.Equals(finished.GetHeader("Connection"), "close", StringComparison.OrdinalIgnoreCase)
            && handshake.Served + 1 < MaxRequestsPerConnection;
        if (take < data.Length)
        {
            OnEarlyData(data[take..]);
        }

        HttpRequest request = handshake.Request!;
        request.Body = handshake.Body;
        handshake.Body = null;
        handshake.ReturnHead();
        Task<HttpResponse>? answer = _context.Http.TryHandle(request);
        if (answer is null)
        {
            Respond(HttpResponse.Text(404, "no route for " + request.Path));
            return;
        }

        Route(answer);
    }

    /// <summary>A plain HTTP route works out its answer, which comes back as <see cref="HttpAnswered"/>.</summary>
    private void Route(Task<HttpResponse> answer)
    {
        _handshake!.Step = HandshakeStep.Routing;
        answer.PipeTo(Self, success: response => new HttpAnswered(response), failure: _ => new HttpAnswered(HttpResponse.Text(500, "internal error")));
    }

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
        _context.Logger.LogError(error, "A handshake hook failed for connection {ConnectionId} on {Path}; answering 500", _id, _handshake?.Request?.Path);
        return HandshakeVerdict.Refuse(500, "internal error");
    }

    private void OnHookDecided(HookDecided decided)
    {
        if (_handshake!.Step != HandshakeStep.Deciding)
        {
            return;
        }

        _handshake.Step = HandshakeStep.Reading;
        if (decided.Verdict.Refusal is { } refusal)
        {
            _context.Logger.LogInformation("Connection {ConnectionId} from {RemoteAddress} refused by a handshake hook: {Status}", _id, decided.Client?.ToString() ?? Remote, refusal.StatusCode);
            Respond(refusal);
        }
        else if (_shuttingDown)
        {
            Respond(HttpResponse.Text(503, "the server is shutting down"));
        }
        else
        {
            HandshakeDecision decision = decided.Decision;
            HttpRequest request = _handshake.Request!;
            string? chosen = decided.Verdict.SubProtocol;
            if (chosen is not null && chosen != decision.SubProtocol && request.SubProtocols.Contains(chosen))
            {
                decision = WebSocketHandshake.Accept(request, chosen, decision.Deflate, decided.Route.Handshake.ExtraHeaders);
            }

            Accept(decided.Route, decision, decided.Verdict.Identity, decided.Client);
        }

        ResumeReading();
    }

    /// <summary>Sends a plain HTTP response, then closes the connection.</summary>
    private void Respond(HttpResponse response)
    {
        HandshakeState handshake = _handshake!;
        Cancel(ref handshake.Timer);
        handshake.ReturnHead();
        handshake.Step = HandshakeStep.Responding;

        // Kept alive: a successful answer to a request whose body was read whole (the server API);
        // anything else closes, as every answer did before (probes, errors, refusals).
        handshake.KeepAlive &= response.StatusCode is >= 200 and < 300 && !_shuttingDown;
        _context.Metrics.Handshakes.WithLabels(response.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
        _raw = new System.Buffers.ArrayBufferWriter<byte>(256 + response.Body.Length);
        response.WithHeader("Connection", handshake.KeepAlive ? "keep-alive" : "close").WriteTo(_raw);
        Flush();
    }

    /// <summary>At most this many requests on one kept-alive connection, then it closes (as nginx's keepalive_requests).</summary>
    private const int MaxRequestsPerConnection = 1000;

    /// <summary>
    /// A kept-alive answer is out: the connection waits for its next request, under the handshake
    /// timeout again (an idle one then closes quietly), with the bytes that came meanwhile.
    /// </summary>
    private void NextRequest()
    {
        HandshakeState done = _handshake!;
        byte[]? early = done.Early;
        int earlyLength = done.EarlyLength;
        done.Early = null;
        done.Dispose();
        _handshake = new HandshakeState
        {
            Served = done.Served + 1,
            Step = HandshakeStep.Reading,
            Timer = Schedule(Settings.HandshakeTimeout, HandshakeTimeout.Instance),
        };
        if (early is not null)
        {
            OnHandshakeData(early.AsSpan(0, earlyLength));
        }
    }

    /// <summary>Bytes that came while a kept-alive answer was being written: the next request's, kept for it (within a head's size).</summary>
    private void OnEarlyData(ReadOnlySpan<byte> data)
    {
        HandshakeState handshake = _handshake!;
        if (!handshake.KeepAlive)
        {
            return; // closing after this answer: discarded
        }

        handshake.Early ??= new byte[Settings.Http.MaxHeadBytes];
        if (handshake.EarlyLength + data.Length > handshake.Early.Length)
        {
            handshake.KeepAlive = false; // more than a request head before our answer is out: close after it
            return;
        }

        data.CopyTo(handshake.Early.AsSpan(handshake.EarlyLength));
        handshake.EarlyLength += data.Length;
    }

    private void OnHandshakeTimeout()
    {
        if (_handshake!.Step == HandshakeStep.Routing)
        {
            // A plain HTTP route that has not produced its answer in time (Respond cancels this timer).
            _context.Logger.LogWarning("Connection {ConnectionId} from {RemoteAddress}: no answer for {Path} within {HandshakeTimeoutSeconds} s; dropping it", _id, Remote, _handshake.Request?.Path, Settings.HandshakeTimeout.TotalSeconds);
            End(null, EndMode.Abort);
            return;
        }

        if (_handshake.Served > 0 && _handshake.HeadLength == 0)
        {
            // A kept-alive connection with no next request: closed quietly (FIN), as any idle HTTP connection.
            End(null, EndMode.Linger);
            return;
        }

        // A slowloris client: drop it without an answer, and report it.
        End(Termination(TerminationCause.HandshakeTimeout, Protocol.CloseCode.AbnormalClosure, "handshake not completed in " + Settings.HandshakeTimeout.TotalSeconds + " s"), EndMode.Abort);
    }

    /// <summary>What only the Handshaking phase holds.</summary>
    private sealed class HandshakeState : IDisposable
    {
        public HandshakeStep Step;
        public bool OverCapacity;
        public ICancelable? Timer;

        /// <summary>The request head read so far (pooled), and how much of it is filled.</summary>
        public byte[]? Head;
        public int HeadLength;

        /// <summary>The parsed request, and how many bytes of <see cref="Head"/> it took (frames may follow).</summary>
        public HttpRequest? Request;
        public int Consumed;

        /// <summary>A plain route's body being read (sized by its Content-Length, within the route's limit), and how much of it is filled.</summary>
        public byte[]? Body;
        public int BodyLength;

        /// <summary>Whether the answer leaves the connection open for the next request (HTTP/1.1 keep-alive), and requests served before this one.</summary>
        public bool KeepAlive;
        public int Served;

        /// <summary>Bytes of the next request that came while this answer was being written.</summary>
        public byte[]? Early;
        public int EarlyLength;

        public void ReturnHead()
        {
            if (Head is not null)
            {
                ConnectionBuffers.Pool.Return(Head);
                Head = null;
                HeadLength = 0;
            }
        }

        public void Dispose()
        {
            Timer?.Cancel();
            Timer = null;
            ReturnHead();
        }
    }

    private sealed record TransportStarted(Exception? Error);

    private sealed record HttpAnswered(HttpResponse Response);

    private sealed record HookDecided(Route Route, HandshakeDecision Decision, HandshakeVerdict Verdict, IPEndPoint? Client);

    private sealed class HandshakeTimeout : Tick
    {
        public static readonly HandshakeTimeout Instance = new();
    }
}
