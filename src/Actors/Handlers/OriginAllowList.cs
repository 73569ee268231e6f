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
    private readonly bool _requireOrigin;

    /// <summary>Creates the hook; origins compare case-insensitively, as <c>scheme://host[:port]</c>.</summary>
    /// <param name="origins">The origins allowed.</param>
    /// <param name="requireOrigin">Whether a request without <c>Origin</c> (not from a browser) is refused too; by default it passes.</param>
    public OriginAllowList(IEnumerable<string> origins, bool requireOrigin = false)
    {
        _origins = new HashSet<string>(origins.Select(o => o.TrimEnd('/')), StringComparer.OrdinalIgnoreCase);
        _requireOrigin = requireOrigin;
    }

    /// <inheritdoc />
    public ValueTask<HandshakeVerdict> DecideAsync(HandshakeContext context, CancellationToken cancellationToken)
    {
        string? origin = context.Request.Origin;
        if (origin is null)
        {
            // Not a browser (browsers always send Origin on a WebSocket): allowed unless the route serves browsers only.
            return ValueTask.FromResult(_requireOrigin ? HandshakeVerdict.Refuse(HttpResponse.Text(403, "an Origin header is required")) : HandshakeVerdict.Continue);
        }

        return ValueTask.FromResult(_origins.Contains(origin)
            ? HandshakeVerdict.Continue
            : HandshakeVerdict.Refuse(HttpResponse.Text(403, "origin not allowed")));
    }
}
