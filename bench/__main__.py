"""`python -m bench` (`make bench`): every benchmark, one after another, each rewriting its section
of docs/BENCHMARKS.md. Name some to run only those: `python -m bench intake e2e`.

`python -m bench chaos [--quick]` (`make chaos`) is the reliability run (bench/chaos.py): about
ten minutes, so never part of the default list; it writes docs/RELIABILITY.md."""
import importlib
import sys

BENCHMARKS = ("sla", "intake", "e2e", "reminders", "console", "jira-limit", "scale")

if __name__ == "__main__":
    if sys.argv[1:2] == ["chaos"]:
        from bench import chaos

        sys.exit(chaos.main(sys.argv[2:]))
    chosen = sys.argv[1:] or BENCHMARKS
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        sys.exit(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)} "
                 "(or `chaos [--quick]` alone)")
    for name in chosen:
        print(f"== bench.{name}", flush=True)
        sys.argv = [f"bench.{name}"]  # each runs with its own defaults
        importlib.import_module(f"bench.{name.replace('-', '_')}").main()
