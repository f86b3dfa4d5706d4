"""The reminders waiting on the schedule, overall: what is due and not yet claimed (the dispatch
lag, now), what is being fired, what comes next; with the beat's last tick. Read from the
schedule's two sorted sets (worker/reminders/store.py) and the board's rows, no Jira."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone

from worker import open_requests
from worker.liveness import BEAT_KEY
from worker.reminders.store import CLAIMED, DUE, parse_member

UTC = timezone.utc
SHOWN = 100


@dataclass
class Waiting:
    key: str
    code: str
    at: float  # due instant, or lease end for a claimed one
    row: dict | None  # the board's row, when the request is on it

    @property
    def when(self) -> str:
        return datetime.fromtimestamp(self.at, UTC).strftime("%a %d %b %H:%M:%S UTC")


@dataclass
class RemindersView:
    total: int  # waiting on the schedule, due or not
    overdue: list[Waiting]  # due, not claimed yet: waiting for the beat
    claimed: list[Waiting]  # handed to a worker, lease running
    lapsed: int  # claimed, lease over: handed out again on the next tick
    upcoming: list[Waiting]
    counts: dict[str, int]
    beat_age: float | None
    lag: float  # seconds the oldest due reminder has waited unclaimed


def _members(found, rows_by_key) -> list[Waiting]:
    out = []
    for name, score in found:
        try:
            key, code = parse_member(name)
        except ValueError:
            continue
        out.append(Waiting(key, code, score, rows_by_key.get(key)))
    return out


def load(client, now: datetime) -> RemindersView:
    stamp = now.timestamp()
    pipe = client.pipeline(transaction=False)
    pipe.zcard(DUE)
    pipe.zrangebyscore(DUE, "-inf", stamp, start=0, num=SHOWN, withscores=True)
    pipe.zcount(DUE, "-inf", stamp)
    pipe.zrangebyscore(DUE, f"({stamp}", "+inf", start=0, num=SHOWN, withscores=True)
    pipe.zrange(CLAIMED, 0, SHOWN - 1, withscores=True)
    pipe.zcard(CLAIMED)
    pipe.zcount(CLAIMED, "-inf", stamp)
    pipe.get(BEAT_KEY)
    total, overdue, overdue_n, upcoming, claimed, claimed_n, lapsed, beat = pipe.execute()
    keys = sorted({parse_member(m)[0] for m, _ in [*overdue, *upcoming, *claimed] if b"|" in m})
    raw_rows = client.hmget(open_requests.OPEN, keys) if keys else []
    rows_by_key = {key: json.loads(raw) for key, raw in zip(keys, raw_rows) if raw}
    return RemindersView(
        total=total, overdue=_members(overdue, rows_by_key), claimed=_members(claimed, rows_by_key),
        lapsed=lapsed, upcoming=_members(upcoming, rows_by_key),
        counts={"waiting": total, "due now": overdue_n, "being fired": claimed_n, "lease over": lapsed},
        beat_age=None if beat is None else max(0.0, stamp - float(beat)),
        lag=max(0.0, stamp - overdue[0][1]) if overdue else 0.0)
