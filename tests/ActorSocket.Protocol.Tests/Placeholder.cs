namespace ActorSocket.Protocol.Tests;
