// The daemon lands with the issue "The daemon"; until then the executable only names itself.
Console.WriteLine("actorsocket " + typeof(ActorSocket.Protocol.WebSocketCodec).Assembly.GetName().Version);
