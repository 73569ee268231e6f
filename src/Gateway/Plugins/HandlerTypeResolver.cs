using System.Reflection;
using Akka.Actor;
using Akka.Configuration;

namespace ActorSocket.Gateway.Plugins;

/// <summary>
/// Finds a route's handler type from its HOCON name (<c>"Namespace.Type, Assembly"</c>): first among
/// the daemon's own assemblies, then in the configured plugin directories, each plugin assembly in a
/// load context of its own.
/// </summary>
internal sealed class HandlerTypeResolver
{
    private readonly IReadOnlyList<string> _directories;
    private readonly Dictionary<string, Assembly> _plugins = new(StringComparer.OrdinalIgnoreCase);

    public HandlerTypeResolver(IReadOnlyList<string> directories) => _directories = directories;

    /// <summary>The actor type for <paramref name="typeName"/>; a startup error naming the route otherwise.</summary>
    public Type Resolve(string route, string typeName)
    {
        string[] parts = typeName.Split(',', 2, StringSplitOptions.TrimEntries);
        if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
        {
            throw new ConfigurationException($"Route {route}: handler \"{typeName}\" must be a built-in name (echo, pubsub) or \"Namespace.Type, Assembly\".");
        }

        Type? type = Type.GetType(typeName, throwOnError: false) ?? FindInPlugins(parts[1])?.GetType(parts[0], throwOnError: false);
        if (type is null)
        {
            string where = _directories.Count == 0 ? "no plugin directory is configured (actorsocket.plugin-directories)" : "looked in " + string.Join(", ", _directories);
            throw new ConfigurationException($"Route {route}: handler type \"{typeName}\" could not be loaded; {where}.");
        }

        if (!typeof(ActorBase).IsAssignableFrom(type) || type.IsAbstract)
        {
            throw new ConfigurationException($"Route {route}: handler type \"{typeName}\" is not a concrete Akka actor.");
        }

        return type;
    }

    private Assembly? FindInPlugins(string assemblyName)
    {
        if (_plugins.TryGetValue(assemblyName, out Assembly? cached))
        {
            return cached;
        }

        foreach (string directory in _directories)
        {
            string path = Path.GetFullPath(Path.Combine(directory, assemblyName + ".dll"));
            if (File.Exists(path))
            {
                Assembly assembly = new PluginLoadContext(path).LoadFromAssemblyPath(path);
                _plugins[assemblyName] = assembly;
                return assembly;
            }
        }

        return null;
    }
}
