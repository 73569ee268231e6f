using ActorSocket.Client;
using Microsoft.Extensions.Time.Testing;

namespace ActorSocket.Gateway.Tests.Client;

/// <summary>The client's backoff and retry rules, and its waits on a fake clock (no sleeps).</summary>
public class ReconnectBackoffTests
{
    private static readonly TimeSpan Floor = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan Cap = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(0, 0.0, 500)]
    [InlineData(0, 0.999, 999.5)]
    [InlineData(1, 0.5, 1250)]
    [InlineData(3, 1.0, 8000)]
    [InlineData(10, 1.0, 30000)]
    [InlineData(1000, 0.25, 7875)]
    public void The_wait_is_the_floor_plus_a_random_share_of_a_window_that_doubles_up_to_the_cap(int attempt, double random, double expectedMs) =>
        Assert.Equal(expectedMs, ReconnectBackoff.Delay(attempt, Floor, Cap, random).TotalMilliseconds, precision: 3);

    [Fact]
    public void Waits_of_many_clients_spread_over_the_whole_window()
    {
        var random = new Random(7);
        double[] waits = [.. Enumerable.Range(0, 1000).Select(_ => ReconnectBackoff.Delay(4, Floor, Cap, random.NextDouble()).TotalMilliseconds)];
        Assert.All(waits, wait => Assert.InRange(wait, 500, 16_000));
        Assert.True(waits.Count(wait => wait < 4000) is > 150 and < 300, "a quarter below 4 s"); // uniform over [0.5 s, 16 s]
    }

    [Theory]
    [InlineData(null, false, true)] // lost without a close
    [InlineData(1001, false, true)] // server shutting down
    [InlineData(1006, false, true)]
    [InlineData(1008, false, true)] // rate limit, slow consumer: after the pause
    [InlineData(1011, false, true)]
    [InlineData(1012, false, true)] // cluster node left
    [InlineData(503, false, true)]
    [InlineData(429, false, true)]
    [InlineData(1002, false, false)] // protocol error: would repeat
    [InlineData(1009, false, false)]
    [InlineData(3002, true, false)] // the backend disconnected this user
    [InlineData(404, false, false)]
    [InlineData(3000, false, false)] // the same token again: no
    [InlineData(3000, true, true)] // a fresh one: yes
    [InlineData(3001, false, false)]
    [InlineData(3001, true, true)]
    [InlineData(401, true, true)]
    public void Only_closes_worth_retrying_are_retried(int? code, bool tokenProvider, bool retried) =>
        Assert.Equal(retried, ReconnectBackoff.WorthRetrying(code, tokenProvider));

    [Fact]
    public async Task The_client_waits_exactly_the_backoff_on_its_clock_between_attempts_and_tries_the_next_url()
    {
        // Two ports with nobody listening: every attempt is refused at once.
        Uri[] urls = [new("ws://127.0.0.1:" + TestPorts.Free() + "/pubsub"), new("ws://127.0.0.1:" + TestPorts.Free() + "/pubsub")];
        var clock = new FakeTimeProvider();
        var options = new ActorSocketClientOptions { TimeProvider = clock, Random = new Random(3), ReconnectFloor = TimeSpan.FromSeconds(1), ReconnectCap = TimeSpan.FromSeconds(60) };
        options.Urls.Add(urls[0]);
        options.Urls.Add(urls[1]);
        var changes = System.Threading.Channels.Channel.CreateUnbounded<ClientStateChange>();
        await using var client = new ActorSocketClient(options);
        client.StateChanged += change => changes.Writer.TryWrite(change);
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Task connecting = client.ConnectAsync(patience.Token);

        var expected = new Random(3);
        for (int attempt = 0; attempt < 4; attempt++)
        {
            ClientStateChange tried = await changes.Reader.ReadAsync(patience.Token);
            Assert.Equal((ClientState.Connecting, urls[attempt % 2]), (tried.State, tried.Url));
            ClientStateChange lost = await changes.Reader.ReadAsync(patience.Token);
            Assert.Equal(ClientState.Disconnected, lost.State);
            TimeSpan wait = ReconnectBackoff.Delay(attempt, options.ReconnectFloor, options.ReconnectCap, expected.NextDouble());
            Assert.Equal(wait, lost.RetryIn);

            // Not a tick before its time: the wait is on the client's clock alone.
            clock.Advance(wait - TimeSpan.FromMilliseconds(1));
            Assert.False(changes.Reader.TryPeek(out _));
            clock.Advance(TimeSpan.FromMilliseconds(1));
        }

        Assert.False(connecting.IsCompleted); // still trying
    }
}
