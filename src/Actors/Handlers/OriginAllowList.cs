using ActorSocket.Protocol.Http;

namespace ActorSocket.Actors.Handlers;

/// <summary>
/// Refuses browsers from origins not on the list with 403 (cross-site WebSocket hijacking defence).
/// A request without <c>Origin</c> comes from a non-browser client and is let through: only browsers
/// are tricked into connecting by other sites, and they always send it.
/// </summary>
public sealed class OriginAllowList : IHandshakeHook
{
    private readonly HashSet<string> _origins;

    /// <summary>Creates the hook; origins compare case-insensitively, as <c>scheme://host[:port]</c>.</summary>
    public OriginAllowList(IEnumerable<string> origins) => _origins = new HashSet<string>(origins.Select(o => o.TrimEnd('/')), StringComparer.OrdinalIgnoreCase);

    /// <inheritdoc />
    public ValueTask<HandshakeVerdict> DecideAsync(HandshakeContext context, CancellationToken cancellationToken)
    {
        string? origin = context.Request.Origin;
        return ValueTask.FromResult(origin is null || _origins.Contains(origin)
            ? HandshakeVerdict.Continue
            : HandshakeVerdict.Refuse(HttpResponse.Text(403, "origin not allowed")));
    }
}
