using ActorSocket.Gateway.Configuration;

namespace ActorSocket.Gateway.Tests;

public class CommandLineTests
{
    [Fact]
    public void Repeated_options_accumulate_in_order_and_values_are_typed()
    {
        CommandLineOptions options = CommandLineOptions.Parse(["--port", "0", "--host", "::", "--set", "a.b = 1", "--set", "a.c = 2", "--role", "edge", "--role", "api", "--cluster", "--print-config"]);
        Assert.Equal(0, options.Port);
        Assert.Equal("::", options.Host);
        Assert.Equal(["a.b = 1", "a.c = 2"], options.HoconOverrides);
        Assert.Equal(["edge", "api"], options.Roles);
        Assert.True(options.Cluster);
        Assert.True(options.PrintConfig);
        Assert.False(options.Help);
    }

    [Theory]
    [InlineData("--port", "70000", "--port takes a number from 0 to 65535, not 70000.")]
    [InlineData("--cluster-port", "-1", "--cluster-port takes a number from 0 to 65535, not -1.")]
    [InlineData("--log-level", "Loud", "--log-level takes Verbose, Debug, Information, Warning or Error, not Loud.")]
    [InlineData("--log-format", "xml", "--log-format takes text or json, not xml.")]
    [InlineData("--bogus", "1", "--bogus")]
    public void A_mistake_is_an_argument_exception_naming_the_option(string flag, string value, string expected)
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => CommandLineOptions.Parse([flag, value]));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_value_missing_after_an_option_is_refused()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => CommandLineOptions.Parse(["--config"]));
        Assert.Contains("--config", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_is_recognised_and_the_usage_lists_every_option()
    {
        Assert.True(CommandLineOptions.Parse(["--help"]).Help);
        Assert.True(CommandLineOptions.Parse(["-h"]).Help);
        foreach (string option in new[] { "--config", "--host", "--port", "--set", "--log-level", "--log-format", "--cluster", "--cluster-host", "--cluster-port", "--seed-node", "--role", "--print-config" })
        {
            Assert.Contains(option, CommandLineOptions.Usage, StringComparison.Ordinal);
        }
    }
}
