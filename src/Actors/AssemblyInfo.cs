namespace ActorSocket.Actors;
