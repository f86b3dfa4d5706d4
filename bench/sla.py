"""SLA due computations per second, per level, checked against the brute-force oracle.

Run: `python -m bench.sla` (or `make bench` for every benchmark). For each level it times
`SlaPolicy.due` (the due instant plus the 50/75/90 % reminders) over 100,000 random whole-minute
starts in 2024-2030, first with an empty cache, then again; times the minute-walking oracle of
tests/unit/sla_oracle.py on a sample and compares those; then checks *every* one of the 100,000
results against a minute-by-minute timeline of the same oracle. Exits 1 on any mismatch.
pandas' CustomBusinessHour is not compared (optional in the brief, and not installed).
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import datetime, timedelta, timezone

from bench.report import machine, write_section
from tests.unit.sla_oracle import MinuteOracle, MinuteTimeline, always, global_week, nine_to_five
from worker.config import default_config_path, load_config
from worker.config.models import build_sla_policy
from worker.policy.sla import REGIONAL, SlaPolicy

UTC = timezone.utc
FIRST, LAST = datetime(2024, 1, 1, tzinfo=UTC), datetime(2031, 1, 1, tzinfo=UTC)
REGIONS = ("AMER", "EMEA", "APAC")
AIM = 50_000  # L3/L4 dues per second on one core


def shipped_policy() -> SlaPolicy:
    """The shipped config's levels and regions, with fresh (cold) calendars."""
    return build_sla_policy(load_config(default_config_path()))


def oracle_clock(policy: SlaPolicy, calendar: str):
    """The oracle's open-minute test for a calendar of the policy (policy defaults only)."""
    if calendar == "24x7":
        return always
    if calendar == "24x5-global":
        return global_week()
    region = policy.regions[calendar]
    return nine_to_five(region.zone, region.holiday_country, region.holiday_subdivision, region.extra_closed)


def calendar_key(policy: SlaPolicy, level: str, region: str) -> str:
    name = policy.levels[level].calendar
    return region if name == REGIONAL else name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=200, help="requests per level for the walking oracle")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/BENCHMARKS.md alone")
    args = parser.parse_args(argv)

    policy = shipped_policy()
    levels = sorted(policy.levels)
    rng = random.Random(20240101)
    minutes = (LAST - FIRST) // timedelta(minutes=1)
    starts = [FIRST + timedelta(minutes=rng.randrange(minutes)) for _ in range(args.starts)]
    regions = [rng.choice(REGIONS) for _ in starts]

    oracles = {key: MinuteOracle(oracle_clock(policy, key)) for key in ["24x7", "24x5-global", *REGIONS]}
    rows, results = [], {}
    for level in levels:
        policy = shipped_policy()  # fresh calendars, so L4's cold pass is not warmed by L3's
        timings = []
        for _ in range(4):  # the first pass fills the week caches; the best of the others is "warm"
            began = time.perf_counter()
            out = [policy.due(level, region, created) for created, region in zip(starts, regions)]
            timings.append(time.perf_counter() - began)
        timings[1:] = [min(timings[1:])]
        results[level] = out
        sample = range(min(args.sample, len(starts)))
        began = time.perf_counter()
        oracle_wrong = 0
        for i in sample:
            target = policy.target_for(level, regions[i])  # business days as working time there
            key = calendar_key(policy, level, regions[i])
            expected = oracles[key].add_many(
                starts[i], [target, *(target * f for f in policy.thresholds)])
            got = out[i]
            oracle_wrong += [got.due, *got.reminders.values()] != expected
        oracle_time = (time.perf_counter() - began) / max(1, len(sample))
        rows.append([level, policy.levels[level].calendar, len(starts) / timings[0], len(starts) / timings[1],
                     oracle_time, len(sample), oracle_wrong])
        print(f"{level}: {len(starts) / timings[0]:,.0f} cold, {len(starts) / timings[1]:,.0f} warm dues/s; "
              f"oracle {oracle_time * 1e3:.2f} ms/due, {oracle_wrong} of {len(sample)} differ", flush=True)

    # Every result against a per-minute timeline of the oracle, one calendar at a time.
    wrong = {level: 0 for level in levels}
    timeline_build = 0.0
    horizon = LAST + timedelta(days=31)
    for key in ["24x7", "24x5-global", *REGIONS]:
        began = time.perf_counter()
        timeline = MinuteTimeline(oracle_clock(policy, key), FIRST, horizon)
        timeline_build += time.perf_counter() - began
        for level in levels:
            for i, (created, region) in enumerate(zip(starts, regions)):
                if calendar_key(policy, level, region) != key:
                    continue
                target = policy.target_for(level, region)  # business days as working time there
                durations = [target, *(target * f for f in policy.thresholds)]
                got = results[level][i]
                if [got.due, *got.reminders.values()] != [timeline.add(created, d) for d in durations]:
                    wrong[level] += 1
        print(f"timeline {key}: checked", flush=True)

    body = report(rows, wrong, args.starts, timeline_build)
    print(body)
    if not args.no_write:
        write_section("SLA clock", body)
    return 1 if any(wrong.values()) or any(row[-1] for row in rows) else 0


def report(rows, wrong, starts: int, timeline_build: float) -> str:
    lines = [
        f"`python -m bench.sla` on {machine()}; one process, one core.",
        "",
        f"`SlaPolicy.due` (due instant plus the 50/75/90 % reminders, one calendar walk) over {starts:,}"
        " random whole-minute starts in 2024-2030; L3/L4 regions drawn at random from AMER, EMEA, APAC."
        " *Cold* is the first pass on fresh calendars (each builds its UTC-week interval cache as it goes), *warm*"
        " the best of three more. The walking oracle computes a due and its reminders in one walk."
        f" Aim: at least {AIM:,} L3/L4 dues per second, every result equal to the oracle's.",
        "",
        "| level | calendar | dues/s cold | dues/s warm | walking oracle, ms/due | oracle sample differing |"
        " all results differing from the minute timeline |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for level, calendar, cold, warm, oracle_time, sample, oracle_wrong in rows:
        lines.append(f"| {level} | {calendar} | {cold:,.0f} | {warm:,.0f} | {oracle_time * 1e3:.2f} | "
                     f"{oracle_wrong} of {sample} | {wrong[level]} of {starts:,} |")
    slowest = min(min(cold, warm) for level, _, cold, warm, *_ in rows if level in ("L3", "L4"))
    verdict = "met" if slowest >= AIM and not any(wrong.values()) and not any(r[-1] for r in rows) else "NOT met"
    lines += [
        "",
        f"Slowest L3/L4 rate, cold or warm: {slowest:,.0f} dues/s; aim {verdict}.",
        "",
        "The walking oracle (tests/unit/sla_oracle.py) decides each minute from the wall clock and the"
        " `holidays` package and walks minute by minute; it shares no code with worker/policy/calendar.py."
        " The timeline is the same per-minute decision precomputed for 2024-01-01 to 2031-01-31 with"
        f" running totals ({timeline_build:.0f} s for the five calendars), so all results can be checked.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
