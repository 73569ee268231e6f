using ActorSocket.Gateway.Configuration;
using Akka.Configuration;

namespace ActorSocket.Gateway.Tests;

public class ClusterConfigTests
{
    private static Config Load(params string[] args) => GatewayConfig.Load(CommandLineOptions.Parse(args));

    [Fact]
    public void The_cluster_is_off_by_default_and_adds_no_akka_settings()
    {
        GatewayOptions options = GatewayOptions.From(Load());
        Assert.False(options.Cluster.Enabled);
        Assert.True(options.Cluster.ToAkkaConfig().IsEmpty);
        // The split-brain resolver and our serializer are configured for when it is switched on.
        Config config = Load();
        Assert.Equal("keep-majority", config.GetString("akka.cluster.split-brain-resolver.active-strategy"));
        Assert.Equal("actorsocket-topics", config.GetString("akka.actor.serialization-bindings.\"ActorSocket.Actors.Cluster.IClusterTopicMessage, ActorSocket.Actors\""));
    }

    [Fact]
    public void Cluster_flags_become_the_akka_provider_remoting_address_seed_nodes_and_roles()
    {
        GatewayOptions options = GatewayOptions.From(Load(
            "--cluster", "--cluster-host", "10.0.0.5", "--cluster-port", "4100",
            "--seed-node", "10.0.0.4:4100", "--seed-node", "akka.tcp://actorsocket@10.0.0.6:4100", "--role", "edge"));
        Config akka = options.Cluster.ToAkkaConfig();
        Assert.Equal("cluster", akka.GetString("akka.actor.provider"));
        Assert.Equal("10.0.0.5", akka.GetString("akka.remote.dot-netty.tcp.hostname"));
        Assert.Equal(4100, akka.GetInt("akka.remote.dot-netty.tcp.port"));
        Assert.Equal(["akka.tcp://actorsocket@10.0.0.4:4100", "akka.tcp://actorsocket@10.0.0.6:4100"], akka.GetStringList("akka.cluster.seed-nodes"));
        Assert.Equal(["edge"], akka.GetStringList("akka.cluster.roles"));
    }

    [Fact]
    public void An_explicit_akka_key_wins_over_what_the_cluster_section_stands_for()
    {
        Config config = Load("--cluster", "--cluster-port", "4100", "--set", "akka.remote.dot-netty.tcp.port = 4200");
        Config merged = config.WithFallback(GatewayOptions.From(config).Cluster.ToAkkaConfig());
        Assert.Equal(4200, merged.GetInt("akka.remote.dot-netty.tcp.port"));
        Assert.Equal("cluster", merged.GetString("akka.actor.provider"));
    }

    [Theory]
    [InlineData("node1")]
    [InlineData("node1:port")]
    [InlineData(":4053")]
    public void A_malformed_seed_node_is_refused_with_its_form(string seed)
    {
        var error = Assert.Throws<ConfigurationException>(() => GatewayOptions.From(Load("--cluster", "--seed-node", seed)));
        Assert.Contains("host:port", error.Message, StringComparison.Ordinal);
    }
}
