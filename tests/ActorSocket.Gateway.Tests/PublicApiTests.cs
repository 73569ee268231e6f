using System.Reflection;
using PublicApiGenerator;

namespace ActorSocket.Gateway.Tests;

/// <summary>
/// The public API of each assembly, approved in <c>PublicApi/&lt;assembly&gt;.txt</c>: a change of
/// the public surface shows in review as a change of that file. Run with
/// <c>ACTORSOCKET_APPROVE_API=1</c> to rewrite the files, then read the diff.
/// </summary>
public class PublicApiTests
{
    public static TheoryData<string> Assemblies() => new() { "ActorSocket.Protocol", "ActorSocket.Actors", "actorsocket", "ActorSocket.Client" };

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void The_public_api_is_the_approved_one(string assemblyName)
    {
        Assembly assembly = Assembly.Load(assemblyName);
        string api = assembly.GeneratePublicApi(new ApiGeneratorOptions { IncludeAssemblyAttributes = false }).ReplaceLineEndings("\n") + "\n";
        string file = Path.Combine(Path.GetDirectoryName(RepositoryFiles.Find("tests/ActorSocket.Gateway.Tests/PublicApiTests.cs"))!, "PublicApi", assemblyName + ".txt");
        if (Environment.GetEnvironmentVariable("ACTORSOCKET_APPROVE_API") == "1")
        {
            File.WriteAllText(file, api);
        }

        Assert.True(File.Exists(file), "no approved API for " + assemblyName + ": run the tests with ACTORSOCKET_APPROVE_API=1 and review " + file);
        Assert.Equal(File.ReadAllText(file).ReplaceLineEndings("\n"), api);
    }

    [Fact]
    public void The_actors_layer_shows_plugin_authors_the_handler_api_and_little_else()
    {
        Type[] exported = Assembly.Load("ActorSocket.Actors").GetExportedTypes().Where(type => !type.IsNested).ToArray();
        Assert.InRange(exported.Length, 15, 30);
        Assert.Contains(exported, type => type.Name == "Handler");
        Assert.Contains(exported, type => type.Name == "ConnectionInfo" && type.Namespace == "ActorSocket.Actors.Handlers");
        Assert.DoesNotContain(exported, type => type.Namespace is "ActorSocket.Actors.Transport" or "ActorSocket.Actors.Cluster" or "ActorSocket.Actors.Dispatch");
    }
}
