using System.Reflection;
using System.Runtime.Loader;

namespace ActorSocket.Gateway.Plugins;

/// <summary>
/// Loads one plugin assembly and its private dependencies from its directory. Anything the daemon
/// already has (ActorSocket, Akka, the BCL) comes from the default context, so that a plugin's
/// handler is an Akka actor of the same Akka the daemon runs.
/// </summary>
internal sealed class PluginLoadContext : AssemblyLoadContext
{
    private readonly AssemblyDependencyResolver _resolver;

    public PluginLoadContext(string pluginPath)
        : base(Path.GetFileNameWithoutExtension(pluginPath), isCollectible: false) =>
        _resolver = new AssemblyDependencyResolver(pluginPath);

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        foreach (Assembly loaded in Default.Assemblies)
        {
            if (AssemblyName.ReferenceMatchesDefinition(assemblyName, loaded.GetName()))
            {
                return null; // shared with the daemon
            }
        }

        try
        {
            // Part of the daemon but not loaded yet (Akka.Streams, ...): still shared.
            Default.LoadFromAssemblyName(assemblyName);
            return null;
        }
        catch (FileNotFoundException)
        {
            string? path = _resolver.ResolveAssemblyToPath(assemblyName);
            return path is null ? null : LoadFromAssemblyPath(path);
        }
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        string? path = _resolver.ResolveUnmanagedDllToPath(unmanagedDllName);
        return path is null ? IntPtr.Zero : LoadUnmanagedDllFromPath(path);
    }
}
