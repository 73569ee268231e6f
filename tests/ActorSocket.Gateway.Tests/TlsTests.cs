using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ActorSocket.Gateway.Tests;

public sealed class TlsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("actorsocket-tls-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }

    /// <summary>A server with a fresh self-signed certificate from a PFX file.</summary>
    private async Task<TestServer> StartWithPfxAsync()
    {
        using X509Certificate2 certificate = SelfSigned();
        string path = Path.Combine(_directory, "server.pfx");
        await File.WriteAllBytesAsync(path, certificate.Export(X509ContentType.Pfx, "pw"));
        return await TestServer.StartAsync($"actorsocket.tls {{ certificate = \"{path}\", password = \"pw\" }}");
    }

    private static async Task AssertEchoOverTlsAsync(TestServer server)
    {
        Assert.StartsWith("wss://", server.Server.Url);
        using var client = new ClientWebSocket();
        client.Options.RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate?.Subject == "CN=127.0.0.1";
        await client.ConnectAsync(server.Uri("/echo"), CancellationToken.None);
        await client.SendAsync("secret"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        var (_, data) = await EchoTests.ReceiveMessageAsync(client);
        Assert.Equal("secret"u8.ToArray(), data);
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
    }

    [Fact]
    public async Task Echo_works_over_TLS_with_a_PFX_certificate()
    {
        await using TestServer server = await StartWithPfxAsync();
        await AssertEchoOverTlsAsync(server);
    }

    [Fact]
    public async Task Echo_works_over_TLS_with_a_PEM_certificate_and_key()
    {
        using X509Certificate2 certificate = SelfSigned();
        string certPath = Path.Combine(_directory, "server.crt");
        string keyPath = Path.Combine(_directory, "server.key");
        await File.WriteAllTextAsync(certPath, certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(keyPath, certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        await using TestServer server = await TestServer.StartAsync($"actorsocket.tls {{ certificate = \"{certPath}\", key = \"{keyPath}\" }}");
        await AssertEchoOverTlsAsync(server);
    }

    [Fact]
    public async Task A_plain_client_on_the_TLS_port_does_not_disturb_the_server()
    {
        await using TestServer server = await StartWithPfxAsync();
        string answer;
        try
        {
            answer = await RawClient.HttpAsync(server.Port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
        }
        catch (System.Net.Sockets.SocketException)
        {
            answer = string.Empty;
        }

        Assert.DoesNotContain("200 OK", answer);
        await AssertEchoOverTlsAsync(server);
        Assert.Contains(server.LogEvents, e => e.MessageTemplate.Text.Contains("TLS handshake", StringComparison.Ordinal));
    }
}
