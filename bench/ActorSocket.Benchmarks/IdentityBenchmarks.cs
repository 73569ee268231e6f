using System.Security.Cryptography;
using ActorSocket.Actors.Identity;
using ActorSocket.Actors.Topics;
using BenchmarkDotNet.Attributes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ActorSocket.Benchmarks;

/// <summary>
/// What identity costs per connection and per publish: validating a token (once per connection or
/// refresh), for each accepted algorithm.
/// </summary>
[MemoryDiagnoser]
public class JwtBenchmarks
{
    private readonly Dictionary<string, (JwtValidator Validator, string Token)> _cases = [];

    [Params("HS256", "RS256", "ES256")]
    public string Algorithm { get; set; } = "HS256";

    [GlobalSetup]
    public void Setup()
    {
        var hs = new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32));
        var rsa = RSA.Create(2048);
        var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Add("HS256", new SigningCredentials(hs, SecurityAlgorithms.HmacSha256), hs);
        Add("RS256", new SigningCredentials(new RsaSecurityKey(rsa), SecurityAlgorithms.RsaSha256), new RsaSecurityKey(rsa.ExportParameters(false)));
        Add("ES256", new SigningCredentials(new ECDsaSecurityKey(ec), SecurityAlgorithms.EcdsaSha256), new ECDsaSecurityKey(ECDsa.Create(ec.ExportParameters(false))));
    }

    private void Add(string algorithm, SigningCredentials signing, SecurityKey verify)
    {
        string token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Claims = new Dictionary<string, object> { ["sub"] = "ann", ["channels"] = new[] { "room:*", "sensors:eu.>" } },
            Expires = DateTime.UtcNow.AddHours(1),
            SigningCredentials = signing,
        });
        _cases[algorithm] = (new JwtValidator(new JwtSettings { Keys = [verify] }), token);
    }

    /// <summary>One token checked: signature, lifetime, claims.</summary>
    [Benchmark]
    public ClientIdentity Validate()
    {
        (JwtValidator validator, string token) = _cases[Algorithm];
        return validator.Validate(token).Identity ?? throw new InvalidOperationException("refused");
    }
}

/// <summary>
/// Finding the wildcard patterns a topic matches, with 10 or 10,000 patterns held: the trie's cost
/// follows the topic's tokens, not the number of patterns.
/// </summary>
[MemoryDiagnoser]
public class PatternBenchmarks
{
    private readonly PatternTrie<string> _trie = new();
    private readonly List<string> _found = [];
    private readonly List<string> _all = [];
    private readonly HashSet<string> _distinct = new(StringComparer.Ordinal);
    private string[] _topics = [];
    private int _next;

    [Params(10, 10_000)]
    public int Patterns { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        // Sensor-like patterns over 100 regions and 1,000 cities: exact, one-token and tail wildcards.
        var random = new Random(7);
        for (int i = 0; _trie.Count < Patterns; i++)
        {
            string region = "r" + random.Next(100);
            string city = "c" + random.Next(1000);
            string pattern = (i % 4) switch
            {
                0 => "sensors:" + region + "." + city + ".*",
                1 => "sensors:" + region + ".*.temp",
                2 => "sensors:" + region + "." + city + ".>",
                _ => "sensors:*." + city + ".hum",
            };
            _trie.Add(pattern, pattern);
            _distinct.Add(pattern);
        }

        _distinct.Add("sensors:>");

        _trie.Add("sensors:>", "sensors:>");
        _all.AddRange(_distinct);
        _topics = [.. Enumerable.Range(0, 1024).Select(_ => "sensors:r" + random.Next(100) + ".c" + random.Next(1000) + (random.Next(2) == 0 ? ".temp" : ".hum"))];
    }

    /// <summary>The same answer found by asking every pattern in turn: what the trie saves.</summary>
    [Benchmark(Baseline = true)]
    public int ScanEach()
    {
        string topic = _topics[_next++ & 1023];
        int found = 0;
        foreach (string pattern in _all)
        {
            if (TopicPattern.Matches(pattern, topic))
            {
                found++;
            }
        }

        return found;
    }

    /// <summary>The patterns one topic matches (at least <c>sensors:&gt;</c>).</summary>
    [Benchmark]
    public int Match()
    {
        _found.Clear();
        _trie.Match(_topics[_next++ & 1023], _found);
        return _found.Count;
    }
}
