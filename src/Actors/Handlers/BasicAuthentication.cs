using System.Security.Cryptography;
using System.Text;

namespace ActorSocket.Actors.Handlers;

/// <summary>
/// HTTP Basic authentication (RFC 7617) against a fixed user list: refuses with 401 and
/// <c>WWW-Authenticate: Basic</c>; the identity is the user name. Use it only over TLS.
/// </summary>
public sealed class BasicAuthentication : IHandshakeHook
{
    private readonly IReadOnlyDictionary<string, string> _users;

    /// <summary>Creates the hook from user name to password.</summary>
    public BasicAuthentication(IReadOnlyDictionary<string, string> users) => _users = users;

    /// <inheritdoc />
    public ValueTask<HandshakeVerdict> DecideAsync(HandshakeContext context, CancellationToken cancellationToken)
    {
        string? header = context.Request.GetHeader("Authorization");
        if (header is not null && header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                string pair = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
                int colon = pair.IndexOf(':');
                if (colon > 0 && _users.TryGetValue(pair[..colon], out string? password)
                    && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(password), Encoding.UTF8.GetBytes(pair[(colon + 1)..])))
                {
                    return ValueTask.FromResult(HandshakeVerdict.Accept(pair[..colon]));
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
