using ActorSocket.Actors.Handlers;

namespace ActorSocket.Actors.Identity;

/// <summary>
/// The handshake hook of routes with JWT identity: a token in <c>Authorization: Bearer</c> or in the
/// <c>token</c> query parameter (browsers cannot set headers on a WebSocket) is checked, and the
/// connection opens with its <see cref="ClientIdentity"/>; an invalid one is refused with 401. A
/// request without a token opens an anonymous connection (which may still send a <c>connect</c>
/// frame, on <c>/pubsub</c>): what anonymous connections may do is the namespaces' permissions.
/// </summary>
internal sealed class JwtAuthentication : IHandshakeHook
{
    private readonly JwtValidator _validator;
    private readonly Action<string>? _refused;

    /// <summary>A hook checking tokens with <paramref name="validator"/>; <paramref name="refused"/> hears each refusal's reason (for the log and metrics).</summary>
    public JwtAuthentication(JwtValidator validator, Action<string>? refused = null)
    {
        _validator = validator;
        _refused = refused;
    }

    /// <inheritdoc />
    public ValueTask<HandshakeVerdict> DecideAsync(HandshakeContext context, CancellationToken cancellationToken)
    {
        string? header = context.Request.GetHeader("Authorization");
        string? token = header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? header["Bearer ".Length..].Trim()
            : context.Request.Query.GetValueOrDefault("token");
        if (token is null)
        {
            return ValueTask.FromResult(HandshakeVerdict.Continue);
        }

        TokenCheck check = _validator.Validate(token);
        if (check.Identity is { } identity)
        {
            return ValueTask.FromResult(HandshakeVerdict.Accept(identity));
        }

        _refused?.Invoke(check.Reason!);
        return ValueTask.FromResult(HandshakeVerdict.Refuse(401, check.Reason!, [new("WWW-Authenticate", "Bearer realm=\"actorsocket\", error=\"invalid_token\"")]));
    }
}
