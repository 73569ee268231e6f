using ActorSocket.Fuzz;
using SharpFuzz;

// actorsocket-fuzz TARGET            run under afl-fuzz (fuzz/run.sh)
// actorsocket-fuzz TARGET FILE...    run the target on files (reproduce a crash)
if (args.Length == 0 || !FuzzTargets.All.TryGetValue(args[0], out Action<byte[]>? target))
{
    Console.Error.WriteLine("usage: actorsocket-fuzz " + string.Join('|', FuzzTargets.All.Keys) + " [FILE...]");
    return 2;
}

if (args.Length > 1)
{
    foreach (string file in args[1..])
    {
        target(File.ReadAllBytes(file));
    }

    return 0;
}

Fuzzer.OutOfProcess.Run(stream =>
{
    using var memory = new MemoryStream();
    stream.CopyTo(memory);
    target(memory.ToArray());
});
return 0;
