"""CPU time of process groups, from /proc: what each part of a benchmark's stack used.

Each service of a benchmark runs in a process group of its own (tests/integration/processes.py
`Service`), so a group's CPU is its master's and its workers' together. Processes that exit
during a reading take their time with them: read before stopping anything.
"""
from __future__ import annotations

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def group_seconds(pgids: dict[str, int]) -> dict[str, float]:
    """CPU seconds (user + system) used so far by each named process group."""
    used = {pgid: 0 for pgid in pgids.values()}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone between the listing and the read
            continue
        # After the command name: state, ppid, pgrp, ... utime (14th field), stime (15th).
        pgrp = int(fields[2])
        if pgrp in used:
            used[pgrp] += int(fields[11]) + int(fields[12])
    return {name: used[pgid] / TICKS for name, pgid in pgids.items()}


def process_seconds(pid: int) -> float:
    """CPU seconds used so far by one process (the embedded redis-server shares the bench's group)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def per_event_ms(before: dict[str, float], after: dict[str, float], events: int) -> dict[str, float]:
    """Milliseconds of CPU per event for each group between two readings."""
    return {name: round((after[name] - before[name]) * 1000 / events, 3) if events else float("nan")
            for name in before}
