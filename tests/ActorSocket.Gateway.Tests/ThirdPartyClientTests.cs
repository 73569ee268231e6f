namespace ActorSocket.Gateway.Tests;

/// <summary>Clients nobody here wrote: Python's websockets and Node's ws (Debian packages, installed by test.sh).</summary>
public class ThirdPartyClientTests : IAsyncLifetime
{
    private const string PythonClient = """
        import asyncio, sys, websockets
        async def main(url):
            async with websockets.connect(url, max_size=2**21) as ws:
                await ws.send("héllo")
                assert await ws.recv() == "héllo"
                blob = bytes(range(256)) * 4096
                await ws.send(blob)
                assert await ws.recv() == blob
                text = "compressible " * 10000
                for _ in range(3):
                    await ws.send(text)
                    assert await ws.recv() == text
                pong = await ws.ping(b"p")
                await asyncio.wait_for(pong, 5)
                extensions = [e.name for e in ws.extensions]
                await ws.close()
                assert ws.close_code == 1000, ws.close_code
                print("ok", extensions)
        asyncio.run(asyncio.wait_for(main(sys.argv[1]), 20))
        """;

    private const string NodeClient = """
        const WebSocket = require('/usr/share/nodejs/ws');
        const ws = new WebSocket(process.argv[1], { perMessageDeflate: true });
        const timer = setTimeout(() => { console.log('timeout'); process.exit(1); }, 20000);
        const expected = ['héllo', Buffer.from([1, 2, 3, 255]), 'x'.repeat(100000)];
        let i = 0;
        ws.on('open', () => ws.send(expected[0]));
        ws.on('message', (data, isBinary) => {
          const want = expected[i];
          const ok = typeof want === 'string' ? (!isBinary && data.toString() === want) : (isBinary && Buffer.compare(data, want) === 0);
          if (!ok) { console.log('mismatch at', i); process.exit(1); }
          i++;
          if (i < expected.length) ws.send(expected[i]); else ws.close(1000, 'done');
        });
        ws.on('close', (code) => { clearTimeout(timer); console.log(code === 1000 ? 'ok ' + ws.extensions : 'code ' + code); process.exit(code === 1000 ? 0 : 1); });
        ws.on('error', (e) => { console.log('error', e.message); process.exit(1); });
        """;

    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Python_websockets_echoes_text_binary_compressed_and_pings()
    {
        Assert.True(File.Exists("/usr/bin/python3"), "test.sh installs python3-websockets");
        var (exitCode, output) = await ExternalProcess.RunAsync("/usr/bin/python3", ["-c", PythonClient, _server.Uri("/echo").ToString()], TimeSpan.FromSeconds(30));
        Assert.True(exitCode == 0, output);
        Assert.StartsWith("ok ['permessage-deflate']", output.Trim());
    }

    [Fact]
    public async Task Node_ws_echoes_text_binary_and_compressed()
    {
        Assert.True(Directory.Exists("/usr/share/nodejs/ws"), "test.sh installs node-ws");
        var (exitCode, output) = await ExternalProcess.RunAsync("node", ["-e", NodeClient, _server.Uri("/echo").ToString()], TimeSpan.FromSeconds(30));
        Assert.True(exitCode == 0, output);
        Assert.StartsWith("ok permessage-deflate", output.Trim());
    }
}
