using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace ActorSocket.Gateway.Logging;

/// <summary>
/// The logger factory handed to Akka.Hosting's logger-factory bridge. It repairs Akka's positional
/// templates on their way to Serilog.
/// </summary>
/// <remarks>
/// Akka logs with <c>string.Format</c> templates such as <c>"{3} ... {0}"</c>. Microsoft.Extensions.Logging
/// binds template holes to arguments in order of appearance, not by number, so
/// <c>"second={1} first={0}"</c> with ("A", "B") reaches Serilog as second=A first=B. Here a state
/// whose original format is purely positional is rebuilt so that hole <c>{n}</c> carries argument n,
/// and the message renders as <c>string.Format</c> would. Named templates pass through untouched.
/// </remarks>
internal sealed partial class PositionalTemplateLoggerFactory : ILoggerFactory
{
    private const string OriginalFormat = "{OriginalFormat}";
    private readonly ILoggerFactory _inner;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    public PositionalTemplateLoggerFactory(ILoggerFactory inner) => _inner = inner;

    /// <inheritdoc />
    public void AddProvider(ILoggerProvider provider) => _inner.AddProvider(provider);

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new PositionalLogger(_inner.CreateLogger(categoryName));

    /// <summary>Does nothing: the wrapped factory belongs to the host.</summary>
    public void Dispose()
    {
    }

    [GeneratedRegex(@"(?<!\{)\{(\d+)(?:[,:][^}]*)?\}")]
    private static partial Regex PositionalHole();

    [GeneratedRegex(@"(?<!\{)\{[^{}\d][^{}]*\}")]
    private static partial Regex NamedHole();

    /// <summary>
    /// Rebinds a positional state so that hole <c>{n}</c> carries argument n; null when the state
    /// needs no repair.
    /// </summary>
    /// <remarks>
    /// The bridge hands over the properties Akka extracted from its template: the i-th distinct hole,
    /// in order of appearance, holds argument i. That recovers the arguments in call order.
    /// </remarks>
    internal static IReadOnlyList<KeyValuePair<string, object?>>? Rebind(IEnumerable<KeyValuePair<string, object?>> state, out string? rendered)
    {
        rendered = null;
        var pairs = new List<KeyValuePair<string, object?>>(state);
        int formatIndex = pairs.FindIndex(pair => pair.Key == OriginalFormat);
        if (formatIndex < 0 || pairs[formatIndex].Value is not string format)
        {
            return null;
        }

        MatchCollection holes = PositionalHole().Matches(format);
        if (holes.Count == 0 || NamedHole().IsMatch(format))
        {
            return null;
        }

        var byName = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (KeyValuePair<string, object?> pair in pairs)
        {
            byName.TryAdd(pair.Key, pair.Value);
        }

        var order = new List<string>();
        foreach (Match hole in holes)
        {
            if (!order.Contains(hole.Groups[1].Value))
            {
                order.Add(hole.Groups[1].Value);
            }
        }

        object?[] args = new object?[order.Select(name => int.Parse(name, CultureInfo.InvariantCulture)).Max() + 1];
        for (int i = 0; i < order.Count && i < args.Length; i++)
        {
            args[i] = byName.GetValueOrDefault(order[i]);
        }

        for (int i = 0; i < pairs.Count; i++)
        {
            if (order.Contains(pairs[i].Key))
            {
                pairs[i] = new KeyValuePair<string, object?>(pairs[i].Key, args[int.Parse(pairs[i].Key, CultureInfo.InvariantCulture)]);
            }
        }

        try
        {
            rendered = string.Format(CultureInfo.InvariantCulture, format, args);
        }
        catch (FormatException)
        {
            rendered = format;
        }

        return pairs;
    }

    private sealed class PositionalLogger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (exception is not null && IsStoreFailure(exception))
            {
                // The history store's plugin reports every failed attempt with a stack trace; the
                // daemon logs the store's change of state once, as an error (HistoryStore). Each
                // attempt stays visible at Debug, in one line.
                if (inner.IsEnabled(LogLevel.Debug))
                {
                    string line = formatter(state, exception) + " (" + ActorSocket.Actors.Cluster.HistoryStore.Describe(exception) + ")";
                    inner.Log(LogLevel.Debug, eventId, line, null, static (text, _) => text);
                }

                return;
            }

            if (state is IEnumerable<KeyValuePair<string, object?>> list && Rebind(list, out string? rendered) is { } repaired)
            {
                inner.Log(logLevel, eventId, new RepairedState(repaired, rendered!), exception, static (s, _) => s.Rendered);
                return;
            }

            inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }

    /// <summary>Whether <paramref name="exception"/> comes from a database (the history store's): a <see cref="System.Data.Common.DbException"/> in its chain.</summary>
    internal static bool IsStoreFailure(Exception exception)
    {
        for (Exception? error = exception; error is not null; error = error.InnerException)
        {
            if (error is System.Data.Common.DbException)
            {
                return true;
            }
        }

        return false;
    }

    private sealed class RepairedState(IReadOnlyList<KeyValuePair<string, object?>> pairs, string rendered) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public string Rendered { get; } = rendered;

        public int Count => pairs.Count;

        public KeyValuePair<string, object?> this[int index] => pairs[index];

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => pairs.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => Rendered;
    }
}
