using ActorSocket.Actors.Identity;
using Akka.Configuration;
using Microsoft.IdentityModel.Tokens;

namespace ActorSocket.Gateway.Configuration;

/// <summary>
/// The <c>actorsocket.auth.jwt</c> section: the keys connection tokens may be signed with (HS256
/// secrets, RSA and EC public keys inline in PEM, or files of PEM, JWK or JWK sets), the issuer and
/// audience they must name, and the clock skew and expiry grace. No key: no JWT identity.
/// </summary>
internal static class JwtOptions
{
    /// <summary>The JWT settings of the <c>actorsocket</c> section <paramref name="c"/>; null when no key is configured.</summary>
    public static JwtSettings? From(Config c)
    {
        var keys = new List<SecurityKey>();
        int index = 0;
        foreach (string secret in c.GetStringList("auth.jwt.hs256-secrets", []))
        {
            index++;
            if (System.Text.Encoding.UTF8.GetByteCount(secret) < 32)
            {
                throw new ConfigurationException($"actorsocket.auth.jwt.hs256-secrets: secret {index} is shorter than 32 bytes (HS256 needs at least 256 bits).");
            }

            keys.Add(new SymmetricSecurityKey(System.Text.Encoding.UTF8.GetBytes(secret)) { KeyId = "hs256-" + index });
        }

        index = 0;
        foreach (string pem in c.GetStringList("auth.jwt.public-keys", []))
        {
            index++;
            keys.AddRange(Keys(pem, "actorsocket.auth.jwt.public-keys: key " + index));
        }

        foreach (string file in c.GetStringList("auth.jwt.key-files", []))
        {
            string text;
            try
            {
                text = File.ReadAllText(file);
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                throw new ConfigurationException($"actorsocket.auth.jwt.key-files: cannot read {file}: {error.Message}");
            }

            keys.AddRange(Keys(text, "actorsocket.auth.jwt.key-files: " + file));
        }

        string issuer = c.GetString("auth.jwt.issuer", string.Empty);
        string audience = c.GetString("auth.jwt.audience", string.Empty);
        TimeSpan skew = c.GetTimeSpan("auth.jwt.clock-skew", TimeSpan.FromSeconds(5));
        TimeSpan grace = c.GetTimeSpan("auth.jwt.expiry-grace", TimeSpan.FromSeconds(2));
        int maxLength = c.GetInt("auth.jwt.max-token-length", 8192);
        if (skew < TimeSpan.Zero || skew > TimeSpan.FromMinutes(5))
        {
            throw new ConfigurationException("actorsocket.auth.jwt.clock-skew must be between 0 and 5 minutes.");
        }

        if (grace < TimeSpan.Zero || grace > TimeSpan.FromHours(1))
        {
            throw new ConfigurationException("actorsocket.auth.jwt.expiry-grace must be between 0 and 1 hour.");
        }

        if (maxLength is < 256 or > 65536)
        {
            throw new ConfigurationException("actorsocket.auth.jwt.max-token-length must be in 256..65536.");
        }

        if (keys.Count == 0)
        {
            return issuer.Length > 0 || audience.Length > 0
                ? throw new ConfigurationException("actorsocket.auth.jwt: an issuer or audience is set but no key (hs256-secrets, public-keys or key-files).")
                : null;
        }

        return new JwtSettings
        {
            Keys = keys,
            Issuer = issuer.Length > 0 ? issuer : null,
            Audience = audience.Length > 0 ? audience : null,
            ClockSkew = skew,
            ExpiryGrace = grace,
            MaxTokenLength = maxLength,
        };
    }

    private static IReadOnlyList<SecurityKey> Keys(string text, string source)
    {
        try
        {
            return JwtValidator.ReadKeys(text, source);
        }
        catch (ArgumentException error)
        {
            throw new ConfigurationException(error.Message);
        }
    }
}
