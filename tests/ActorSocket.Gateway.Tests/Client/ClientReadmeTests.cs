using System.Text.RegularExpressions;

namespace ActorSocket.Gateway.Tests.Client;

/// <summary>The client README's example is a real program: built in a new console project and run against the daemon.</summary>
public partial class ClientReadmeTests
{
    private static string Repository => Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));

    [Fact]
    public async Task The_readmes_five_lines_build_in_a_new_console_project_and_receive_their_own_message()
    {
        string readme = await File.ReadAllTextAsync(Path.Combine(Repository, "src", "Client", "README.md"));
        string example = CSharpBlock().Match(readme).Groups[1].Value;
        Assert.Equal(5, example.Split('\n').Count(line => line.Length > 0 && !line.StartsWith("using ", StringComparison.Ordinal)));

        string project = Path.Combine(Path.GetTempPath(), "actorsocket-readme-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(project);
        try
        {
            await File.WriteAllTextAsync(Path.Combine(project, "Example.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <Nullable>enable</Nullable>
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                    <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
                  </PropertyGroup>
                  <ItemGroup>
                    <ProjectReference Include="{Path.Combine(Repository, "src", "Client", "ActorSocket.Client.csproj")}" />
                  </ItemGroup>
                </Project>
                """);
            await File.WriteAllTextAsync(Path.Combine(project, "Directory.Build.props"), "<Project />");
            await File.WriteAllTextAsync(Path.Combine(project, "Directory.Packages.props"), "<Project />");

            // Built as written (warnings are errors), with only its URL pointed at a daemon on the defaults.
            await using TestServer server = await TestServer.StartAsync();
            string program = example.Replace("ws://127.0.0.1:8080/pubsub", "ws://127.0.0.1:" + server.Port + "/pubsub", StringComparison.Ordinal);
            Assert.NotEqual(example, program);
            await File.WriteAllTextAsync(Path.Combine(project, "Program.cs"), program);
            (int built, string output) = await ExternalProcess.RunAsync("dotnet", ["build", project, "-c", "Release", "-o", Path.Combine(project, "out"), "-nologo", "-v", "q"], TimeSpan.FromMinutes(4));
            Assert.True(built == 0, output);
            (int ran, string printed) = await ExternalProcess.RunAsync("dotnet", [Path.Combine(project, "out", "Example.dll")], TimeSpan.FromMinutes(1));
            Assert.Equal(0, ran);
            Assert.Contains("1: hello from .NET", printed, StringComparison.Ordinal); // room keeps history: the message's offset
        }
        finally
        {
            Directory.Delete(project, recursive: true);
        }
    }

    [GeneratedRegex("```csharp\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
