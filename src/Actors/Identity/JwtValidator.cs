using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ActorSocket.Actors.Identity;

/// <summary>How connection tokens are checked: the keys, and what the claims must say.</summary>
internal sealed record JwtSettings
{
    /// <summary>The keys tokens may be signed with (HMAC secrets, RSA and EC public keys): several at once while keys rotate.</summary>
    public IReadOnlyList<SecurityKey> Keys { get; init; } = [];

    /// <summary>The <c>iss</c> a token must have; null: any.</summary>
    public string? Issuer { get; init; }

    /// <summary>The <c>aud</c> a token must name; null: any.</summary>
    public string? Audience { get; init; }

    /// <summary>How far <c>exp</c> and <c>nbf</c> may be off the server's clock. 5 s: clocks synchronised by NTP are far closer; the library's own 5 minutes would keep an expired token alive.</summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long after its token's <c>exp</c> an unrefreshed connection is closed with 3001.</summary>
    public TimeSpan ExpiryGrace { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Longest token accepted, in characters. 8 KiB: as the request head a token arrives in; a longer one is refused unread.</summary>
    public int MaxTokenLength { get; init; } = 8192;
}

/// <summary>
/// Checks connection tokens with Microsoft.IdentityModel's <see cref="JsonWebTokenHandler"/>: HS256,
/// RS256 and ES256 only (never <c>none</c>, never a token signed with a key of another kind), signed
/// by one of the configured keys, within its lifetime, and with the issuer and audience configured.
/// Thread-safe: one instance serves every connection.
/// </summary>
internal sealed class JwtValidator
{
    private static readonly string[] Algorithms = [SecurityAlgorithms.HmacSha256, SecurityAlgorithms.RsaSha256, SecurityAlgorithms.EcdsaSha256];

    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly TokenValidationParameters _parameters;

    /// <summary>A validator of tokens signed with one of <paramref name="settings"/>' keys.</summary>
    public JwtValidator(JwtSettings settings)
    {
        if (settings.Keys.Count == 0)
        {
            throw new ArgumentException("At least one key is needed to check tokens.", nameof(settings));
        }

        Settings = settings;
        _parameters = new TokenValidationParameters
        {
            IssuerSigningKeys = settings.Keys,
            TryAllIssuerSigningKeys = true,
            ValidAlgorithms = Algorithms,
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = true,
            RequireExpirationTime = false, // the contract: a token without exp does not expire
            ValidateLifetime = true,
            ClockSkew = settings.ClockSkew,
            ValidateIssuer = settings.Issuer is not null,
            ValidIssuer = settings.Issuer,
            ValidateAudience = settings.Audience is not null,
            ValidAudience = settings.Audience,
            ValidateTokenReplay = false,
            LogValidationExceptions = false,
            LogTokenId = false,
        };
    }

    /// <summary>What this validator was made with.</summary>
    public JwtSettings Settings { get; }

    /// <summary>
    /// The identity <paramref name="token"/> proves, or why it proves none: a short reason fit for
    /// the client and the log (it never repeats the token).
    /// </summary>
    public TokenCheck Validate(string token)
    {
        if (token.Length > Settings.MaxTokenLength)
        {
            return TokenCheck.Refused("token longer than " + Settings.MaxTokenLength + " characters");
        }

        if (token.Length == 0)
        {
            return TokenCheck.Refused("token is empty");
        }

        JsonWebToken parsed;
        TokenValidationResult result;
        try
        {
            parsed = new JsonWebToken(token);
            if (Array.IndexOf(Algorithms, parsed.Alg) < 0)
            {
                return TokenCheck.Refused("token algorithm not accepted (HS256, RS256 or ES256)");
            }

            // With keys given up front (no configuration manager) the handler completes synchronously.
            result = _handler.ValidateTokenAsync(parsed, _parameters).GetAwaiter().GetResult();
        }
        catch (Exception error) when (error is ArgumentException or SecurityTokenException or JsonException or FormatException)
        {
            return TokenCheck.Refused("token malformed");
        }

        if (!result.IsValid)
        {
            return TokenCheck.Refused(Reason(result.Exception));
        }

        return result.SecurityToken is JsonWebToken jwt ? Claims(jwt) : TokenCheck.Refused("token malformed");
    }

    private static string Reason(Exception? error) => error switch
    {
        SecurityTokenExpiredException => "token expired",
        SecurityTokenNotYetValidException => "token not yet valid",
        SecurityTokenInvalidAlgorithmException => "token algorithm not accepted (HS256, RS256 or ES256)",
        SecurityTokenInvalidAudienceException => "token audience not accepted",
        SecurityTokenInvalidIssuerException => "token issuer not accepted",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "token signature invalid",
        SecurityTokenInvalidLifetimeException => "token lifetime invalid",
        SecurityTokenMalformedException or ArgumentException => "token malformed",
        _ => "token invalid",
    };

    /// <summary>The claims of a token whose signature and lifetime were checked.</summary>
    private static TokenCheck Claims(JsonWebToken jwt)
    {
        byte[] payload;
        try
        {
            payload = Base64UrlEncoder.DecodeBytes(jwt.EncodedPayload);
        }
        catch (FormatException)
        {
            return TokenCheck.Refused("token malformed");
        }

        string? user = null;
        byte[]? info = null;
        List<string>? channels = null, publish = null;
        DateTimeOffset? expires = null;
        try
        {
            var reader = new Utf8JsonReader(payload, new JsonReaderOptions { MaxDepth = 32 });
            reader.Read();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("sub"u8))
                {
                    reader.Read();
                    user = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("exp"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out double seconds) && seconds < 253402300799)
                    {
                        expires = DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000));
                    }

                    reader.Skip();
                }
                else if (reader.ValueTextEquals("info"u8))
                {
                    reader.Read();
                    int start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    info = payload[start..(int)reader.BytesConsumed];
                }
                else if (reader.ValueTextEquals("channels"u8))
                {
                    reader.Read();
                    channels = Strings(ref reader);
                    if (channels is null)
                    {
                        return TokenCheck.Refused("token claim channels must be a list of strings");
                    }
                }
                else if (reader.ValueTextEquals("publish"u8))
                {
                    reader.Read();
                    publish = Strings(ref reader);
                    if (publish is null)
                    {
                        return TokenCheck.Refused("token claim publish must be a list of strings");
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            return TokenCheck.Refused("token malformed");
        }

        if (string.IsNullOrEmpty(user))
        {
            return TokenCheck.Refused("token has no sub");
        }

        if (Encoding.UTF8.GetByteCount(user) > 256)
        {
            return TokenCheck.Refused("token sub longer than 256 bytes");
        }

        return TokenCheck.Accepted(new ClientIdentity(user, expires, info, channels, publish));
    }

    private static List<string>? Strings(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return null;
        }

        var list = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String || list.Count >= 1000)
            {
                reader.Skip();
                return null;
            }

            list.Add(reader.GetString()!);
        }

        return list;
    }

    /// <summary>Reads keys for tokens from PEM (public keys or certificates: RSA, EC P-256) or JWK / JWK set text.</summary>
    /// <param name="text">The PEM or JSON.</param>
    /// <param name="source">Where it came from, for the error message.</param>
    public static IReadOnlyList<SecurityKey> ReadKeys(string text, string source)
    {
        string trimmed = text.TrimStart();
        if (trimmed.StartsWith('{'))
        {
            try
            {
                using var document = JsonDocument.Parse(trimmed);
                IList<SecurityKey> keys = document.RootElement.TryGetProperty("keys", out _)
                    ? new JsonWebKeySet(trimmed).GetSigningKeys()
                    : [new JsonWebKey(trimmed)];
                if (keys.Count == 0)
                {
                    throw new ArgumentException(source + ": a JWK set without a usable signing key.");
                }

                foreach (SecurityKey key in keys)
                {
                    if (key is JsonWebKey { Kty: "oct" })
                    {
                        throw new ArgumentException(source + ": a symmetric JWK; HS256 secrets go in hs256-secrets.");
                    }
                }

                return [.. keys];
            }
            catch (JsonException error)
            {
                throw new ArgumentException(source + ": not valid JSON (" + error.Message + ").", error);
            }
        }

        if (trimmed.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
        {
            using var certificate = X509Certificate2.CreateFromPem(trimmed);
            if (certificate.GetRSAPublicKey() is { } certificateRsa)
            {
                return [new RsaSecurityKey(certificateRsa.ExportParameters(false))];
            }

            if (certificate.GetECDsaPublicKey() is { } certificateEc)
            {
                return [EcKey(certificateEc, source)];
            }

            throw new ArgumentException(source + ": the certificate's key is neither RSA nor EC.");
        }

        if (trimmed.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
        {
            throw new ArgumentException(source + ": a private key; the server needs only the public key (keep the private one with the token issuer).");
        }

        try
        {
            var rsa = RSA.Create();
            rsa.ImportFromPem(trimmed);
            return [new RsaSecurityKey(rsa.ExportParameters(false))];
        }
        catch (CryptographicException)
        {
        }
        catch (ArgumentException)
        {
        }

        var ec = ECDsa.Create();
        try
        {
            ec.ImportFromPem(trimmed);
        }
        catch (Exception error) when (error is CryptographicException or ArgumentException)
        {
            throw new ArgumentException(source + ": neither an RSA nor an EC public key in PEM, nor a JWK.", error);
        }

        return [EcKey(ec, source)];
    }

    private static ECDsaSecurityKey EcKey(ECDsa ec, string source)
    {
        if (ec.KeySize != 256)
        {
            throw new ArgumentException(source + ": an EC key of " + ec.KeySize + " bits; ES256 needs P-256.");
        }

        return new ECDsaSecurityKey(ec);
    }
}

/// <summary>The outcome of checking a token: an identity, or why there is none.</summary>
/// <param name="Identity">The identity, when the token is valid.</param>
/// <param name="Reason">Why it is not, in a few words that never repeat the token.</param>
internal readonly record struct TokenCheck(ClientIdentity? Identity, string? Reason)
{
    /// <summary>Whether the token proved an identity.</summary>
    public bool IsValid => Identity is not null;

    public static TokenCheck Accepted(ClientIdentity identity) => new(identity, null);

    public static TokenCheck Refused(string reason) => new(null, reason);
}
