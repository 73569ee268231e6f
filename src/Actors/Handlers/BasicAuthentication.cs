using System.Text;

namespace ActorSocket.Actors.Handlers;

/// <summary>
/// HTTP Basic authentication (RFC 7617) against a fixed user list: refuses with 401 and
/// <c>WWW-Authenticate: Basic</c>; the identity is the user name. Use it only over TLS.
/// </summary>
public sealed class BasicAuthentication : IHandshakeHook
{
    private readonly List<byte[]> _digests;
    private readonly List<string> _names;

    /// <summary>Creates the hook from user name to password.</summary>
    public BasicAuthentication(IReadOnlyDictionary<string, string> users)
    {
        // One digest of "user:password" per user, compared in constant time with every entry: no
        // timing difference between an unknown user, a wrong password and a password of another length.
        _digests = users.Select(user => SecretDigest.Of(user.Key + ":" + user.Value)).ToList();
        _names = users.Keys.ToList();
    }

    /// <inheritdoc />
    public ValueTask<HandshakeVerdict> DecideAsync(HandshakeContext context, CancellationToken cancellationToken)
    {
        string? header = context.Request.GetHeader("Authorization");
        if (header is not null && header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                string pair = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
                int found = pair.IndexOf(':') > 0 ? SecretDigest.Find(_digests, pair) : -1;
                if (found >= 0)
                {
                    return ValueTask.FromResult(HandshakeVerdict.Accept(_names[found]));
                }
            }
            catch (FormatException)
            {
                // Not base64: the same answer as a wrong password.
            }
        }

        return ValueTask.FromResult(HandshakeVerdict.Refuse(401, "credentials required", [new("WWW-Authenticate", "Basic realm=\"actorsocket\", charset=\"UTF-8\"")]));
    }
}
