namespace ActorSocket.Actors.Handlers;

/// <summary>
/// Accepts a connection that presents a known token, as <c>Authorization: Bearer TOKEN</c> or, for
/// browsers (which cannot set headers on a WebSocket), as the query parameter <c>access_token</c>;
/// otherwise refuses with 401 and <c>WWW-Authenticate: Bearer</c>. The identity is the token's name.
/// </summary>
/// <remarks>An example of a hook; a real deployment validates signed tokens instead of a list.</remarks>
public sealed class BearerTokenAuthentication : IHandshakeHook
{
    private readonly List<byte[]> _digests;
    private readonly List<string> _names;

    /// <summary>Creates the hook from token to identity name.</summary>
    public BearerTokenAuthentication(IReadOnlyDictionary<string, string> tokens)
    {
        // Kept as digests and compared in constant time (SecretDigest): the time a refusal takes says
        // nothing about how close a guess was.
        _digests = tokens.Keys.Select(SecretDigest.Of).ToList();
        _names = tokens.Values.ToList();
    }

    /// <inheritdoc />
    public ValueTask<HandshakeVerdict> DecideAsync(HandshakeContext context, CancellationToken cancellationToken)
    {
        string? header = context.Request.GetHeader("Authorization");
        string? token = header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? header["Bearer ".Length..].Trim()
            : context.Request.Query.GetValueOrDefault("access_token");
        int found = token is null ? -1 : SecretDigest.Find(_digests, token);
        if (found >= 0)
        {
            return ValueTask.FromResult(HandshakeVerdict.Accept(_names[found]));
        }

        return ValueTask.FromResult(HandshakeVerdict.Refuse(401, "a valid bearer token is required", [new("WWW-Authenticate", "Bearer realm=\"actorsocket\"")]));
    }
}
