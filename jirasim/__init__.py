"""A small Jira Cloud / Data Center + JSM simulator for the demo, integration tests and benchmarks.

`python -m jirasim --help` runs it as a process; `JiraSimulator` runs it inside a test. The
site's field ids and options live in `jirasim.catalogue`, importable without the server.
"""

__all__ = ["JiraSimulator"]


def __getattr__(name: str):
    # Lazy, so `import jirasim.catalogue` (used by config code) does not load Flask.
    if name == "JiraSimulator":
        from jirasim.simulator import JiraSimulator
        return JiraSimulator
    raise AttributeError(f"module 'jirasim' has no attribute {name!r}")
