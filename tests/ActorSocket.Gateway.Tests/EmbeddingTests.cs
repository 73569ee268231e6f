using System.Net.WebSockets;
using ActorSocket.Actors.Handlers;
using ActorSocket.Gateway.Configuration;
using Akka.Actor;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ActorSocket.Gateway.Tests;

/// <summary>An application hosts ActorSocket in its own generic host and registers a route in code.</summary>
public class EmbeddingTests
{
    public sealed record Greeting(string Text);

    /// <summary>Gets a service of the application injected into its constructor.</summary>
    public sealed class GreetingHandler(Greeting greeting) : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            if (message is Handler.Connected connected)
            {
                connected.Connection.Tell(Connection.SendText.From(greeting.Text + " #" + connected.Info.Id));
            }
        }
    }

    [Fact]
    public async Task A_route_registered_in_code_gets_its_services_through_dependency_injection()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton(new Greeting("welcome from the application"));
        builder.Services.AddActorSocket(
            GatewayConfig.Load(new CommandLineOptions { Host = "127.0.0.1", Port = 0 }),
            routes => routes.MapHandler<GreetingHandler>("/greet"));
        using IHost host = builder.Build();
        await host.StartAsync();
        try
        {
            using var client = new ClientWebSocket();
            await client.ConnectAsync(new Uri(host.Server().Url + "/greet"), CancellationToken.None);
            var (_, data) = await EchoTests.ReceiveMessageAsync(client);
            Assert.StartsWith("welcome from the application #", System.Text.Encoding.UTF8.GetString(data));
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
