using ActorSocket.Gateway.Api;
using ActorSocket.Gateway.Configuration;
using Akka.Configuration;

namespace ActorSocket.Gateway.Tests;

/// <summary><c>actorsocket.api</c>: keys from HOCON and the environment, limits, and what is refused.</summary>
public class ApiConfigTests
{
    private static ApiSettings Read(string hocon, string? environment = null) =>
        ApiOptions.From(
            GatewayConfig.Load(CommandLineOptions.Parse(hocon.Length == 0 ? [] : ["--set", hocon])).GetConfig("actorsocket"),
            name => name == ApiOptions.KeysVariable ? environment : null);

    [Fact]
    public void The_api_is_off_by_default_with_a_1_MiB_body_limit_and_5_s_timeout()
    {
        ApiSettings settings = Read(string.Empty);
        Assert.Empty(settings.Keys);
        Assert.Equal((1024 * 1024, TimeSpan.FromSeconds(5)), (settings.MaxBodyBytes, settings.Timeout));
    }

    [Fact]
    public void Keys_come_from_the_list_a_single_string_and_the_environment_without_duplicates()
    {
        Assert.Equal(["a-key", "b-key", "c-key"], Read("actorsocket.api.keys = [\"a-key\", \"b-key\"]", " c-key ,a-key,, ").Keys);
        Assert.Equal(["only"], Read("actorsocket.api.keys = only").Keys);
        Assert.Equal(["from-env"], Read(string.Empty, "from-env").Keys);
    }

    [Theory]
    [InlineData("actorsocket.api.keys = [\"\"]")]
    [InlineData("actorsocket.api.keys = [\"padded" + "-long-key-part-of-it-0123456789abcdef-0123456789abcdef-0123456789abcdef-0123456789abcdef-0123456789abcdef-0123456789abcdef-0123456789abcdef-0123456789abcdef-0123456789abcdef-0123456789abcdef-0123456789abcdef-0123456789abcdef-0123456789abcdef-0123456789abcdef-0123456789abcdef-0123456789abcdef-0123456789abcdef\"]")]
    [InlineData("actorsocket.api.max-body-size = 10")]
    [InlineData("actorsocket.api.timeout = 0s")]
    [InlineData("actorsocket.api.port = 70000")]
    public void Bad_settings_stop_the_daemon_with_a_message_that_names_the_key_and_never_the_key_itself(string hocon)
    {
        ConfigurationException error = Assert.Throws<ConfigurationException>(() => Read(hocon));
        Assert.Contains("actorsocket.api.", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("padded", error.Message, StringComparison.Ordinal);
    }
}
