"""What the load scenarios share: the parents' and children's IINs, the judging of answers, and
the record of every answer's status, written where the driver (drive.py) reads it.

Each simulated parent is parent number i (0, 1, ...): a valid IIN born in the 1980s, and children
born between 2 September 2020 and August 2025 (at least 14 years younger: the built-in kinship
register's rule), each IIN distinct. Nothing here prints a full IIN.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import os
import threading

W1 = list(range(1, 12))
W2 = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]


def check_digit(digits: list[int]) -> int | None:
    """The IIN check digit over digits 1-11 (service.md), None when both rounds give 10."""
    c = sum(d * w for d, w in zip(digits, W1)) % 11
    if c == 10:
        c = sum(d * w for d, w in zip(digits, W2)) % 11
        if c == 10:
            return None
    return c


def make_iin(birth: dt.date, male: bool, serial: int) -> str | None:
    century = {18: 1, 19: 3, 20: 5}[birth.year // 100] + (0 if male else 1)
    body = f"{birth.year % 100:02}{birth.month:02}{birth.day:02}{century}{serial % 10000:04}"
    c = check_digit([int(ch) for ch in body])
    return None if c is None else body + str(c)


def _unique(base: dt.date, days: int, n: int) -> str:
    """IIN number n of a family of distinct IINs: the birth day cycles over `days` days from
    `base`; each pass takes a block of ten serials, the first that gives a check digit."""
    birth = base + dt.timedelta(days=n % days)
    block = (n // days) * 10
    for k in range(10):
        iin = make_iin(birth, (n + k) % 2 == 0, block + k)
        if iin:
            return iin
    raise ValueError("no valid serial in the block")  # never: 10 in a row give 10 twice


PARENT_BASE, PARENT_DAYS = dt.date(1980, 1, 1), 3600  # born 1980-1989
CHILD_BASE, CHILD_DAYS = dt.date(2020, 9, 2), 1800  # born 2020-09-02 .. 2025-08-07


def parent_iin(i: int) -> str:
    return _unique(PARENT_BASE, PARENT_DAYS, i)


def child_iin(i: int, k: int = 0) -> str:
    """Child k of parent i (k = 0: the campaign's child, 1: a sibling registered later)."""
    # 2,000,000 children per k keeps every (i, k) distinct up to parent 1,999,999.
    return _unique(CHILD_BASE, CHILD_DAYS, k * 2_000_000 + i)


def masked(iin: str) -> str:
    return iin[:4] + "••••••" + iin[-2:]


def districts() -> list[str]:
    return os.environ.get("KEZEK_LOAD_DISTRICTS", "KOK").split(",")


def district_of(i: int) -> str:
    d = districts()
    return d[i % len(d)]


def state_dir() -> str:
    return os.environ.get("KEZEK_LOAD_STATE", ".")


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def error_code(response) -> str | None:
    try:
        return (json.loads(response.text or "{}").get("error") or {}).get("code")
    except ValueError:
        return None


def error_field(response) -> str | None:
    try:
        return (json.loads(response.text or "{}").get("error") or {}).get("field")
    except ValueError:
        return None


def judge(r, ok: tuple[int, ...] = (200,), expected: dict[int, set[str]] | None = None) -> str:
    """Marks a caught response: success when its status is in `ok`, or an expected refusal
    (status and error code listed in `expected`); anything else, every 5xx among it, is a
    failure. Returns "ok", the expected error code, or "failed"."""
    status = r.status_code
    if status in ok:
        r.success()
        return "ok"
    code = error_code(r)
    if expected and status in expected and code in expected[status]:
        r.success()
        return code
    r.failure(f"{status} {code}")
    return "failed"


class Record:
    """Every answer's status by request name, and the run's own facts (what was registered,
    outcomes), written as JSON at the end of the run."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        self.outcomes: collections.Counter = collections.Counter()
        self.rows: list = []
        self.started = None
        self.ended = None

    def on_request(self, request_type, name, response_time, response_length, response=None,
                   exception=None, **_kw) -> None:
        status = getattr(response, "status_code", 0) or 0
        with self.lock:
            self.statuses[name][str(status)] += 1

    def outcome(self, what: str) -> None:
        with self.lock:
            self.outcomes[what] += 1

    def row(self, row) -> None:
        with self.lock:
            self.rows.append(row)

    def write(self, name: str) -> None:
        path = os.path.join(state_dir(), f"{name}.json")
        with open(path, "w") as f:
            json.dump(
                {
                    "statuses": {k: dict(v) for k, v in self.statuses.items()},
                    "outcomes": dict(self.outcomes),
                    "rows": self.rows,
                    "started": self.started,
                    "ended": self.ended,
                },
                f,
            )


def install(events, record: Record, name: str) -> None:
    """Hooks the record into locust's events: every request counted, the file written at the
    end."""
    import time

    events.request.add_listener(record.on_request)

    @events.test_start.add_listener
    def _start(environment, **_kw):
        record.started = time.time()

    @events.test_stop.add_listener
    def _stop(environment, **_kw):
        record.ended = time.time()
        record.write(name)


class Done:
    """Counts the users that finished their part; at `total` the run stops (the test's length is
    the work's, not a guess)."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.n = 0

    def one(self, environment) -> None:
        import gevent

        self.n += 1
        if self.n >= self.total and environment.runner is not None:
            gevent.spawn_later(0.5, environment.runner.quit)


def login(client, iin: str, name: str = "POST /v1/dev/login", **extra) -> str | None:
    with client.post("/v1/dev/login", json={"iin": iin, **extra}, name=name,
                     catch_response=True) as r:
        if judge(r) != "ok":
            return None
        return r.json()["token"]
