namespace ActorSocket.Actors.Handlers;

/// <summary>
/// Accepts a connection that presents a known token, as <c>Authorization: Bearer TOKEN</c> or, for
/// browsers (which cannot set headers on a WebSocket), as the query parameter <c>access_token</c>;
/// otherwise refuses with 401 and <c>WWW-Authenticate: Bearer</c>. The identity is the token's name.
/// </summary>
/// <remarks>An example of a hook; a real deployment validates signed tokens instead of a list.</remarks>
public sealed class BearerTokenAuthentication : IHandshakeHook
{
    private readonly IReadOnlyDictionary<string, string> _tokens;

    /// <summary>Creates the hook from token to identity name.</summary>
    public BearerTokenAuthentication(IReadOnlyDictionary<string, string> tokens) => _tokens = tokens;

    /// <inheritdoc />
    public ValueTask<HandshakeVerdict> DecideAsync(HandshakeContext context, CancellationToken cancellationToken)
    {
        string? header = context.Request.GetHeader("Authorization");
        string? token = header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? header["Bearer ".Length..].Trim()
            : context.Request.Query.GetValueOrDefault("access_token");
        if (token is not null && _tokens.TryGetValue(token, out string? name))
        {
            return ValueTask.FromResult(HandshakeVerdict.Accept(name));
        }

        return ValueTask.FromResult(HandshakeVerdict.Refuse(401, "a valid bearer token is required", [new("WWW-Authenticate", "Bearer realm=\"actorsocket\"")]));
    }
}
