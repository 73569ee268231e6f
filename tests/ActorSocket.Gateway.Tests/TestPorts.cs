using System.Net;
using System.Net.Sockets;

namespace ActorSocket.Gateway.Tests;

/// <summary>Ports and floods the tests share.</summary>
internal static class TestPorts
{
    /// <summary>A loopback port that was free a moment ago (a server restarted on it binds it again: SO_REUSEADDR).</summary>
    public static int Free()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>
    /// Connects a client with small buffers that sends <paramref name="request"/> up to
    /// <paramref name="times"/> times and never reads; returns how the server ended it.
    /// </summary>
    public static async Task<ActorSocket.Actors.Connections.ConnectionTerminated> FloodWithoutReadingAsync(TestServer server, string request, int times)
    {
        using var flooder = new System.Net.WebSockets.ClientWebSocket();
        flooder.Options.SetBuffer(4096, 4096);
        await flooder.ConnectAsync(server.Uri("/pubsub"), CancellationToken.None);
        Task<ActorSocket.Actors.Connections.ConnectionTerminated> ended = server.NextTerminationAsync(TimeSpan.FromSeconds(30));
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(request);
        for (int i = 0; i < times && !ended.IsCompleted; i++)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await flooder.SendAsync(bytes, System.Net.WebSockets.WebSocketMessageType.Text, true, timeout.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or System.Net.WebSockets.WebSocketException)
            {
                break; // the server stopped reading, or closed
            }
        }

        return await ended;
    }
}
