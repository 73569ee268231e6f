using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(ActorSocket.Benchmarks.CodecBenchmarks).Assembly).Run(args);
