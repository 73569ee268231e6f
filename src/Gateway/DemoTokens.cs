using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using ActorSocket.Protocol.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ActorSocket.Gateway;

/// <summary>
/// The demo token issuer (<c>actorsocket.auth.demo-token-issuer = on</c>): <c>GET /demo/token?user=NAME</c>
/// answers a token for whoever asks, signed with a random HS256 key made at start and accepted by
/// this process alone, so that the chat page can sign in on a local run without an identity
/// provider. It gives anyone any name: the daemon refuses to start with it unless it listens on a
/// loopback address.
/// </summary>
internal sealed class DemoTokens
{
    /// <summary>How long a demo token lives: an hour (the page refreshes it before it runs out).</summary>
    internal static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    private static readonly JsonWebTokenHandler Handler = new();
    private readonly SigningCredentials _signing;

    /// <summary>A new issuer with a key of its own.</summary>
    public DemoTokens()
    {
        Key = new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32)) { KeyId = "demo" };
        _signing = new SigningCredentials(Key, SecurityAlgorithms.HmacSha256);
    }

    /// <summary>The key its tokens are signed with: added to the keys every route accepts.</summary>
    public SymmetricSecurityKey Key { get; }

    /// <summary>Why the daemon may not serve demo tokens on <paramref name="host"/>, or null: only loopback is allowed.</summary>
    public static string? Refusal(string host) =>
        host == "localhost" || (IPAddress.TryParse(host, out IPAddress? address) && IPAddress.IsLoopback(address))
            ? null
            : "actorsocket.auth.demo-token-issuer hands a token for any name to whoever asks: it is for local runs only, and host is " + host + ", not a loopback address (127.0.0.1 or ::1).";

    /// <summary>The answer to <c>GET /demo/token</c>.</summary>
    public HttpResponse Issue(HttpRequest request)
    {
        string? user = null;
        foreach (string pair in request.QueryString.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0 && pair[..equals] == "user")
            {
                user = Uri.UnescapeDataString(pair[(equals + 1)..].Replace('+', ' '));
            }
        }

        if (user is null || user.Length is 0 or > 32 || !user.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            return HttpResponse.Text(400, "user must be 1 to 32 letters, digits, '-', '_' or '.'", []);
        }

        DateTime now = DateTime.UtcNow;
        string token = Handler.CreateToken(new SecurityTokenDescriptor
        {
            Claims = new Dictionary<string, object>
            {
                ["sub"] = user,
                ["info"] = new Dictionary<string, object> { ["name"] = user },
            },
            IssuedAt = now,
            NotBefore = now,
            Expires = now + Lifetime,
            SigningCredentials = _signing,
        });
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["token"] = token,
            ["user"] = user,
            ["expires_in"] = (long)Lifetime.TotalSeconds,
        });
        return new HttpResponse(200, [new("Content-Type", "application/json"), new("Cache-Control", "no-store")], body);
    }
}
