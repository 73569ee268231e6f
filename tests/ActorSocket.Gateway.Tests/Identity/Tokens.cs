using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ActorSocket.Gateway.Tests.Identity;

/// <summary>Real tokens signed in the test, with Microsoft.IdentityModel's own token handler.</summary>
internal static class Tokens
{
    public const string Secret = "a-test-secret-of-at-least-thirty-two-bytes";
    public const string OtherSecret = "another-test-secret-of-32-bytes-or-more!";

    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    public static SigningCredentials Hs256(string secret = Secret) =>
        new(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret)), SecurityAlgorithms.HmacSha256);

    public static SigningCredentials Rs256(RSA key) => new(new RsaSecurityKey(key), SecurityAlgorithms.RsaSha256);

    public static SigningCredentials Es256(ECDsa key) => new(new ECDsaSecurityKey(key), SecurityAlgorithms.EcdsaSha256);

    /// <summary>A token for <paramref name="sub"/> (none when null) with the given claims; exp and nbf relative to now when given.</summary>
    public static string Make(
        string? sub = "ann",
        SigningCredentials? signing = null,
        TimeSpan? expiresIn = null,
        TimeSpan? notBeforeIn = null,
        string[]? channels = null,
        string[]? publish = null,
        object? info = null,
        string? issuer = null,
        string? audience = null)
    {
        var claims = new Dictionary<string, object>();
        if (sub is not null)
        {
            claims["sub"] = sub;
        }

        if (channels is not null)
        {
            claims["channels"] = channels;
        }

        if (publish is not null)
        {
            claims["publish"] = publish;
        }

        if (info is not null)
        {
            claims["info"] = info;
        }

        var descriptor = new SecurityTokenDescriptor
        {
            Claims = claims,
            SigningCredentials = signing ?? Hs256(),
            Issuer = issuer,
            Audience = audience,
        };
        DateTime now = DateTime.UtcNow;
        if (expiresIn is { } exp)
        {
            descriptor.Expires = now + exp;
        }

        if (notBeforeIn is { } nbf)
        {
            descriptor.NotBefore = now + nbf;
        }

        return Handler.CreateToken(descriptor);
    }

    /// <summary>An unsigned token (<c>alg: none</c>) claiming <paramref name="sub"/>.</summary>
    public static string Unsigned(string sub) =>
        Base64UrlEncoder.Encode("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + Base64UrlEncoder.Encode("{\"sub\":\"" + sub + "\"}") + ".";
}
