using System.Text.Json;

namespace ActorSocket.Actors.Identity;

/// <summary>
/// Who a connection is: the claims of the JSON Web Token it presented (at the handshake or in a
/// <c>connect</c> frame), after the signature, lifetime, issuer and audience were checked. Handlers
/// find it in <see cref="Handlers.ConnectionInfo.Identity"/>; anonymous connections have none.
/// </summary>
public sealed class ClientIdentity
{
    private readonly byte[]? _info;

    /// <summary>An identity with the given claims.</summary>
    /// <param name="user">The <c>sub</c> claim: the user id, non-empty.</param>
    /// <param name="expiresAt">The <c>exp</c> claim, or null for a token that does not expire.</param>
    /// <param name="info">The <c>info</c> claim as raw JSON (UTF-8), or null when the token has none.</param>
    /// <param name="channels">The <c>channels</c> claim: topics or patterns the token may subscribe to.</param>
    /// <param name="publish">The <c>publish</c> claim: topics or patterns the token may publish on.</param>
    public ClientIdentity(string user, DateTimeOffset? expiresAt = null, byte[]? info = null, IReadOnlyList<string>? channels = null, IReadOnlyList<string>? publish = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        User = user;
        ExpiresAt = expiresAt;
        _info = info;
        Channels = channels ?? [];
        Publish = publish ?? [];
    }

    /// <summary>The user id (the token's <c>sub</c>). Several connections (tabs, devices) may share it.</summary>
    public string User { get; }

    /// <summary>When the token expires (its <c>exp</c>); null when it does not.</summary>
    public DateTimeOffset? ExpiresAt { get; }

    /// <summary>The <c>info</c> claim (any JSON: a display name, an avatar), or null.</summary>
    public JsonElement? Info => _info is null ? null : JsonDocument.Parse(_info).RootElement.Clone();

    /// <summary>The <c>info</c> claim exactly as it was in the token, UTF-8 JSON; empty when absent.</summary>
    public ReadOnlyMemory<byte> InfoJson => _info;

    /// <summary>Topics and patterns (<c>room:*</c>, <c>sensors:eu.&gt;</c>) the token grants for subscribing, reading history and presence.</summary>
    public IReadOnlyList<string> Channels { get; }

    /// <summary>Topics and patterns the token grants for publishing.</summary>
    public IReadOnlyList<string> Publish { get; }

    /// <summary>Whether <paramref name="topic"/> (a topic or a pattern) is covered by one of <paramref name="grants"/>.</summary>
    internal static bool Grants(IReadOnlyList<string> grants, string topic)
    {
        for (int i = 0; i < grants.Count; i++)
        {
            if (TopicPattern.Covers(grants[i], topic))
            {
                return true;
            }
        }

        return false;
    }
}
