using System.Security.Cryptography;
using System.Text;
using ActorSocket.Actors.Identity;
using Microsoft.IdentityModel.Tokens;

namespace ActorSocket.Gateway.Tests.Identity;

/// <summary>Token checks with real tokens of each algorithm: what is accepted, and the reason for each refusal.</summary>
public class JwtValidatorTests
{
    private static JwtValidator Validator(params SecurityKey[] keys) => new(new JwtSettings { Keys = keys });

    private static JwtValidator Validator(JwtSettings settings) => new(settings);

    private static SymmetricSecurityKey Key(string secret) => new(Encoding.UTF8.GetBytes(secret));

    [Fact]
    public void Tokens_of_each_algorithm_prove_their_claims()
    {
        using var rsa = RSA.Create(2048);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rsaPublic = new RsaSecurityKey(rsa.ExportParameters(false));
        var ecPublic = new ECDsaSecurityKey(ECDsa.Create(ec.ExportParameters(false)));
        JwtValidator validator = Validator(Key(Tokens.Secret), rsaPublic, ecPublic);

        ClientIdentity hs = Assert.IsType<ClientIdentity>(validator.Validate(Tokens.Make("ann", expiresIn: TimeSpan.FromMinutes(5), channels: ["room:*"], publish: ["room:a"], info: new Dictionary<string, object> { ["name"] = "Ann" })).Identity);
        Assert.Equal("ann", hs.User);
        Assert.Equal(["room:*"], hs.Channels);
        Assert.Equal(["room:a"], hs.Publish);
        Assert.Equal("Ann", hs.Info!.Value.GetProperty("name").GetString());
        Assert.InRange((hs.ExpiresAt!.Value - DateTimeOffset.UtcNow).TotalSeconds, 240, 301);

        Assert.Equal("bob", validator.Validate(Tokens.Make("bob", Tokens.Rs256(rsa))).Identity!.User);
        Assert.Equal("cid", validator.Validate(Tokens.Make("cid", Tokens.Es256(ec))).Identity!.User);

        // Without exp a token does not expire; without channels it grants nothing.
        ClientIdentity lasting = validator.Validate(Tokens.Make("dee")).Identity!;
        Assert.Null(lasting.ExpiresAt);
        Assert.Empty(lasting.Channels);
        Assert.Null(lasting.Info);
    }

    [Fact]
    public void During_a_key_rotation_old_and_new_keys_are_both_accepted_and_a_removed_key_is_not()
    {
        string old = Tokens.Make("ann", Tokens.Hs256(Tokens.Secret));
        string fresh = Tokens.Make("ann", Tokens.Hs256(Tokens.OtherSecret));
        JwtValidator rotating = Validator(Key(Tokens.Secret), Key(Tokens.OtherSecret));
        Assert.True(rotating.Validate(old).IsValid);
        Assert.True(rotating.Validate(fresh).IsValid);

        JwtValidator rotated = Validator(Key(Tokens.OtherSecret));
        Assert.Equal("token signature invalid", rotated.Validate(old).Reason);
        Assert.True(rotated.Validate(fresh).IsValid);
    }

    [Fact]
    public void Each_bad_token_is_refused_with_its_reason_and_the_reason_never_repeats_the_token()
    {
        using var rsa = RSA.Create(2048);
        var validator = Validator(new JwtSettings { Keys = [Key(Tokens.Secret), new RsaSecurityKey(rsa.ExportParameters(false))], Issuer = "https://issuer", Audience = "chat" });
        string good = Tokens.Make(issuer: "https://issuer", audience: "chat");
        Assert.True(validator.Validate(good).IsValid);

        // HS256 signed with the RSA public key as its secret: the classic algorithm confusion.
        string rsaPem = rsa.ExportSubjectPublicKeyInfoPem();
        string confused = Tokens.Make(signing: new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(rsaPem)), SecurityAlgorithms.HmacSha256), issuer: "https://issuer", audience: "chat");

        (string Token, string Reason)[] cases =
        [
            (Tokens.Make(expiresIn: TimeSpan.FromMinutes(-1), issuer: "https://issuer", audience: "chat"), "token expired"),
            (Tokens.Make(notBeforeIn: TimeSpan.FromMinutes(1), issuer: "https://issuer", audience: "chat"), "token not yet valid"),
            (Tokens.Make(issuer: "https://issuer", audience: "other"), "token audience not accepted"),
            (Tokens.Make(issuer: "https://evil", audience: "chat"), "token issuer not accepted"),
            (Tokens.Make(signing: Tokens.Hs256(Tokens.OtherSecret), issuer: "https://issuer", audience: "chat"), "token signature invalid"),
            (confused, "token signature invalid"),
            (Tokens.Unsigned("ann"), "token algorithm not accepted"),
            (Tokens.Make(sub: null, issuer: "https://issuer", audience: "chat"), "token has no sub"),
            ("not-a-jwt", "token malformed"),
            ("a.b.c", "token malformed"),
            (good[..^4], "token signature invalid"),
            (new string('x', 9000), "token longer than 8192 characters"),
            (string.Empty, "token is empty"),
        ];
        foreach ((string token, string reason) in cases)
        {
            TokenCheck check = validator.Validate(token);
            Assert.False(check.IsValid, reason);
            Assert.StartsWith(reason, check.Reason, StringComparison.Ordinal);
            Assert.DoesNotContain(token.Length > 3 ? token[..4] : "\u0001", check.Reason!, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Only_hs256_rs256_and_es256_are_accepted_even_with_a_configured_key()
    {
        string longSecret = new('s', 64);
        string hs512 = Tokens.Make(signing: new SigningCredentials(Key(longSecret), SecurityAlgorithms.HmacSha512));
        Assert.Equal("token algorithm not accepted (HS256, RS256 or ES256)", Validator(Key(longSecret)).Validate(hs512).Reason);
    }

    [Fact]
    public void The_clock_skew_is_the_configured_one_not_the_librarys_five_minutes()
    {
        string expiredThreeSecondsAgo = Tokens.Make(expiresIn: TimeSpan.FromSeconds(-3));
        string expiredAMinuteAgo = Tokens.Make(expiresIn: TimeSpan.FromMinutes(-1));
        JwtValidator validator = Validator(Key(Tokens.Secret)); // 5 s by default
        Assert.True(validator.Validate(expiredThreeSecondsAgo).IsValid);
        Assert.Equal("token expired", validator.Validate(expiredAMinuteAgo).Reason);
        Assert.Equal("token expired", Validator(new JwtSettings { Keys = [Key(Tokens.Secret)], ClockSkew = TimeSpan.Zero }).Validate(expiredThreeSecondsAgo).Reason);
    }

    [Fact]
    public void Claims_of_the_wrong_shape_refuse_the_token()
    {
        JwtValidator validator = Validator(Key(Tokens.Secret));
        var handler = new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler();
        string token = handler.CreateToken("{\"sub\":\"ann\",\"channels\":\"room:*\"}", Tokens.Hs256());
        Assert.Equal("token claim channels must be a list of strings", validator.Validate(token).Reason);
        token = handler.CreateToken("{\"sub\":\"ann\",\"publish\":[1]}", Tokens.Hs256());
        Assert.Equal("token claim publish must be a list of strings", validator.Validate(token).Reason);
        token = handler.CreateToken("{\"sub\":42}", Tokens.Hs256());
        Assert.Equal("token has no sub", validator.Validate(token).Reason);
    }

    [Fact]
    public void Keys_are_read_from_pem_certificates_and_jwk_sets_and_private_or_unfit_keys_are_refused()
    {
        using var rsa = RSA.Create(2048);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.IsType<RsaSecurityKey>(Assert.Single(JwtValidator.ReadKeys(rsa.ExportSubjectPublicKeyInfoPem(), "test")));
        Assert.IsType<ECDsaSecurityKey>(Assert.Single(JwtValidator.ReadKeys(ec.ExportSubjectPublicKeyInfoPem(), "test")));

        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=issuer", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        Assert.IsType<RsaSecurityKey>(Assert.Single(JwtValidator.ReadKeys(certificate.ExportCertificatePem(), "test")));

        // A JWK set: a token signed with its key (kid in the header) is accepted through it.
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(rsa.ExportParameters(false)) { KeyId = "k1" });
        string set = "{\"keys\":[" + System.Text.Json.JsonSerializer.Serialize(new { kty = jwk.Kty, kid = jwk.Kid, n = jwk.N, e = jwk.E, use = "sig", alg = "RS256" }) + "]}";
        IReadOnlyList<SecurityKey> keys = JwtValidator.ReadKeys(set, "test");
        var signing = new SigningCredentials(new RsaSecurityKey(rsa) { KeyId = "k1" }, SecurityAlgorithms.RsaSha256);
        Assert.Equal("ann", new JwtValidator(new JwtSettings { Keys = keys }).Validate(Tokens.Make("ann", signing)).Identity!.User);

        Assert.Contains("private key", Assert.Throws<ArgumentException>(() => JwtValidator.ReadKeys(rsa.ExportPkcs8PrivateKeyPem(), "k")).Message, StringComparison.Ordinal);
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        Assert.Contains("P-256", Assert.Throws<ArgumentException>(() => JwtValidator.ReadKeys(p384.ExportSubjectPublicKeyInfoPem(), "k")).Message, StringComparison.Ordinal);
        Assert.Contains("neither", Assert.Throws<ArgumentException>(() => JwtValidator.ReadKeys("garbage", "k")).Message, StringComparison.Ordinal);
        Assert.Contains("symmetric", Assert.Throws<ArgumentException>(() => JwtValidator.ReadKeys("{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}", "k")).Message, StringComparison.Ordinal);
    }
}
