"""`python -m bench` (`make bench`): every benchmark, one after another, each rewriting its section
of docs/BENCHMARKS.md. Name some to run only those: `python -m bench intake e2e`."""
import importlib
import sys

BENCHMARKS = ("sla", "intake", "e2e", "reminders", "console")

if __name__ == "__main__":
    chosen = sys.argv[1:] or BENCHMARKS
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        sys.exit(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    for name in chosen:
        print(f"== bench.{name}", flush=True)
        sys.argv = [f"bench.{name}"]  # each runs with its own defaults
        importlib.import_module(f"bench.{name}").main()
