using System.Net.Sockets;

namespace ActorSocket.Actors.Transport;

/// <summary>The two ways a transport ends its socket, shared by plain and TLS transports.</summary>
internal static class SocketEnding
{
    /// <summary>Sends FIN after what was written; a socket already gone needs nothing.</summary>
    public static void ShutdownSend(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Makes the coming close a reset (linger 0): the peer is not waited for.</summary>
    public static void PrepareAbort(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
