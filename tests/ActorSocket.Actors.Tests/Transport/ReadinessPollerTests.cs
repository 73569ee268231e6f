using System.Net;
using System.Net.Sockets;
using ActorSocket.Actors.Transport;
using Akka.TestKit.Xunit2;

namespace ActorSocket.Actors.Tests.Transport;

/// <summary>The epoll readiness path of plain sockets, on a loopback socket pair (Linux; elsewhere there is no poller).</summary>
public class ReadinessPollerTests : TestKit
{
    private static async Task<(Socket Server, Socket Client)> PairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!);
        Socket server = await listener.AcceptAsync();
        return (server, client);
    }

    [Fact]
    public async Task Data_and_the_end_of_the_stream_are_told_and_read_without_waiting()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // no epoll: SocketTransport.WatchReadable answers false and the actor reads asynchronously
        }

        var (server, client) = await PairAsync();
        using var transport = new SocketTransport(server);
        using (client)
        {
            var probe = CreateTestProbe();
            Assert.True(transport.WatchReadable(probe.Ref));

            byte[] buffer = new byte[64];
            Assert.Equal(-1, transport.Receive(buffer, out SocketError error));
            Assert.Equal(SocketError.WouldBlock, error); // nothing there: no waiting

            // Reads only when told; a stale notification may precede the one for the data (an empty read).
            int ReadWhenTold()
            {
                while (true)
                {
                    probe.ExpectMsg<ReadinessPoller.ReadReady>();
                    int count = transport.Receive(buffer, out SocketError e);
                    if (e != SocketError.WouldBlock)
                    {
                        Assert.Equal(SocketError.Success, e);
                        return count;
                    }
                }
            }

            await client.SendAsync("hello"u8.ToArray());
            Assert.Equal(5, ReadWhenTold());
            Assert.Equal("hello"u8.ToArray(), buffer[..5]);

            // Edge-triggered: new data after the socket was emptied is told again.
            await client.SendAsync("again"u8.ToArray());
            Assert.Equal(5, ReadWhenTold());
            Assert.Equal("again"u8.ToArray(), buffer[..5]);

            client.Shutdown(SocketShutdown.Send);
            Assert.Equal(0, ReadWhenTold()); // the peer's FIN
        }
    }

    [Fact]
    public async Task A_disposed_transport_reports_an_aborted_read_instead_of_touching_a_reused_descriptor()
    {
        var (server, client) = await PairAsync();
        using (client)
        {
            var transport = new SocketTransport(server);
            transport.WatchReadable(CreateTestProbe().Ref);
            transport.Dispose();
            Assert.Equal(-1, transport.Receive(new byte[16], out SocketError error));
            Assert.Equal(SocketError.OperationAborted, error);
        }
    }

    [Fact]
    public async Task Writes_without_waiting_deliver_everything_even_past_the_socket_buffer()
    {
        var (server, client) = await PairAsync();
        using var transport = new SocketTransport(server);
        using (client)
        {
            // 8 MiB: more than the kernel buffers take at once, so the rest goes asynchronously.
            byte[] data = Enumerable.Range(0, 8 * 1024 * 1024).Select(i => (byte)(i * 13)).ToArray();
            ValueTask write = transport.WriteAsync(data, CancellationToken.None);
            byte[] received = new byte[data.Length];
            int total = 0;
            while (total < received.Length)
            {
                total += await client.ReceiveAsync(received.AsMemory(total));
            }

            await write;
            Assert.Equal(data, received);
        }
    }
}
