namespace ActorSocket.Protocol.Tests;

public class DependencyTests
{
    [Fact]
    public void The_protocol_assembly_references_nothing_outside_the_BCL()
    {
        var references = typeof(WebSocketCodec).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        Assert.NotEmpty(references);
        var outside = references.Where(name => !(name.StartsWith("System.", StringComparison.Ordinal) || name is "System" or "netstandard" or "mscorlib")).ToList();
        Assert.Empty(outside);
    }
}
