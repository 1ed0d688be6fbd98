"""The load run's driver (scripts/load calls it with the runner up): sets the scene of each
scenario through the API (the dev clock, the operators' kindergartens, places and voucher runs),
runs the scenario's locustfile headless, checks the store's invariants through
POST /v1/dev/invariants, and prints the report. Exits 1 on any 5xx or connection error, any
answer the scenario did not expect, or any broken invariant.
"""

from __future__ import annotations

import argparse
import collections
import csv
import datetime as dt
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kezek_load as kl  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OPERATOR = "850505300001"  # the seed operator (local/src/seed.rs)
CAMPAIGN_OPENS = "2026-06-01T09:00:00+05:00"  # a Monday
VOUCHER_DAY = "2026-07-01T10:00:00+05:00"  # a Wednesday: confirm_by is Friday's end


class Api:
    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")

    def call(self, method: str, path: str, body=None, token: str | None = None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=300) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def ok(self, method: str, path: str, body=None, token=None, expect=(200, 201)):
        status, answer = self.call(method, path, body, token)
        if status not in expect:
            raise SystemExit(f"setup: {method} {path} answered {status}: {answer}")
        return answer

    def login(self, iin: str, **extra) -> str:
        return self.ok("POST", "/v1/dev/login", {"iin": iin, **extra})["token"]


def run_locust(args, name: str, users: int, rate: float, limit: str, env: dict) -> float:
    prefix = os.path.join(args.out, name)
    cmd = [
        args.locust, "-f", os.path.join(HERE, f"{name}.py"), "--headless",
        "-u", str(users), "-r", str(rate), "-t", limit, "--host", args.base,
        "--csv", prefix, "--only-summary", "--stop-timeout", "30",
        "--loglevel", "WARNING", "--logfile", prefix + ".log", "--exit-code-on-error", "0",
    ]
    started = time.time()
    with open(prefix + ".out", "w") as out:
        code = subprocess.call(cmd, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT,
                               cwd=HERE)
    if code != 0:
        raise SystemExit(f"locust {name} exited {code}; see {prefix}.out and {prefix}.log")
    return time.time() - started


def stats(args, name: str) -> list[dict]:
    with open(os.path.join(args.out, f"{name}_stats.csv")) as f:
        return list(csv.DictReader(f))


def recorded(args, name: str) -> dict:
    with open(os.path.join(args.out, f"{name}.json")) as f:
        return json.load(f)


def invariants(api: Api, children: list[str], places: dict) -> dict:
    return api.ok("POST", "/v1/dev/invariants", {"children": children, "places": places})


def catalogue(api: Api, districts: list[str]) -> dict[str, dict]:
    out = {}
    for d in districts:
        for k in api.ok("GET", f"/v1/kindergartens?district={d}"):
            out[k["id"]] = k
    return out


class Report:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.bad: list[str] = []

    def say(self, line: str = "") -> None:
        print(line, flush=True)
        self.lines.append(line)

    def scenario(self, title: str, rows: list[dict], rec: dict, wall: float, checked: dict,
                 extra: list[str]) -> None:
        self.say()
        self.say(f"## {title}")
        total = next(r for r in rows if r["Name"] == "Aggregated")
        span = (rec["ended"] or 0) - (rec["started"] or 0)
        self.say(f"wall {wall:.1f} s (locust's run {span:.1f} s); "
                 f"{int(total['Request Count'])} requests, {float(total['Requests/s']):.0f} req/s")
        self.say()
        self.say("| request | count | req/s | p50 ms | p99 ms | p99.9 ms | max ms | answers "
                 "(status: count) | unexpected |")
        self.say("|---|---:|---:|---:|---:|---:|---:|---|---:|")
        for r in rows:
            name = r["Name"]
            statuses = rec["statuses"].get(name, {}) if name != "Aggregated" else \
                dict(sum((collections.Counter(v) for v in rec["statuses"].values()),
                         collections.Counter()))
            answers = ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items()))
            label = f"{r['Type']} {name}".strip() if name != "Aggregated" else "**all**"
            if name.startswith(r["Type"] + " "):
                label = name
            self.say(f"| {label} | {r['Request Count']} | {float(r['Requests/s']):.1f} | {r['50%']} "
                     f"| {r['99%']} | {r['99.9%']} | {float(r['Max Response Time']):.0f} | {answers} "
                     f"| {r['Failure Count']} |")
            for s, n in statuses.items():
                if name != "Aggregated" and (int(s) >= 500 or int(s) == 0):
                    self.bad.append(f"{title}: {n} answers {s} to {name}")
            if name == "Aggregated" and int(r["Failure Count"]) > 0:
                self.bad.append(f"{title}: {r['Failure Count']} unexpected answers")
        self.say()
        outcomes = rec.get("outcomes") or {}
        if outcomes:
            self.say("outcomes: " + "; ".join(f"{k}: {v}" for k, v in sorted(outcomes.items())))
        for line in extra:
            self.say(line)
        self.say("invariants: " + ", ".join(
            f"{c['invariant']} {c['checked'] - c['broken']}/{c['checked']}"
            for c in checked["checks"]) + f"; applications by status {checked['by_status']}")
        for c in checked["checks"]:
            if c["broken"] or not c["checked"]:
                self.bad.append(f"{title}: invariant '{c['invariant']}' broken {c['broken']} "
                                f"of {c['checked']}")
        for v in checked["violations"]:
            self.say(f"  violation: {v}")
        if checked["unchecked_kindergartens"]:
            self.bad.append(f"{title}: {checked['unchecked_kindergartens']} kindergartens unchecked")


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--locust", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--parents", type=int, default=10_000)
    p.add_argument("--campaign-seconds", type=float, default=50,
                   help="the parents arrive over this many seconds (within the first minute)")
    p.add_argument("--morning-users", type=int, default=1000)
    p.add_argument("--morning-rate", type=float, default=0.5,
                   help="requests a second per morning parent")
    p.add_argument("--morning-seconds", type=int, default=60)
    p.add_argument("--voucher-share", type=float, default=0.4,
                   help="the share of each queue that gets a voucher")
    p.add_argument("--deadline-in", type=float, default=40,
                   help="seconds from the last day's start to confirm_by")
    p.add_argument("--profile", default="?", help="the runner's cargo profile, for the report")
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    api = Api(args.base)
    report = Report()
    begun = time.time()

    districts = [d["code"] for d in api.ok("GET", "/v1/districts")]
    env = {"KEZEK_LOAD_STATE": args.out, "KEZEK_LOAD_DISTRICTS": ",".join(districts),
           "KEZEK_LOAD_PARENTS": str(args.parents)}
    api.ok("PUT", "/v1/dev/clock", {"now": CAMPAIGN_OPENS})
    # The places as the operators set them: the seed catalogue's, before anyone enrols.
    places = {k: dict(v["free_places"]) for k, v in catalogue(api, districts).items()}

    report.say(f"# Kezek load run: {args.parents} parents, {len(districts)} districts, "
               f"runner profile {args.profile}")

    # 1. The campaign's opening.
    rate = args.parents / args.campaign_seconds
    wall = run_locust(args, "campaign", args.parents, rate, "5m", env)
    rec = recorded(args, "campaign")
    children = [kl.child_iin(i) for i in range(args.parents)]
    checked = invariants(api, children, places)
    registered = len(rec["rows"])
    extra = [f"registered {registered} of {args.parents} parents' children; the last parent "
             f"spawned at {args.parents / rate:.0f} s"]
    if registered != args.parents:
        report.bad.append(f"campaign: {registered} of {args.parents} registered")
    report.scenario("1. Campaign opening", stats(args, "campaign"), rec, wall, checked, extra)
    rows = [r for r in rec["rows"]]

    # 2. The parents' morning.
    env_morning = {**env, "KEZEK_LOAD_MORNING_RATE": str(args.morning_rate)}
    wall = run_locust(args, "morning", args.morning_users, min(args.morning_users, 200.0),
                      f"{args.morning_seconds}s", env_morning)
    rec = recorded(args, "morning")
    rows += rec["rows"]
    children += [kl.child_iin(r[0], 1) for r in rec["rows"]]
    checked = invariants(api, children, places)
    reads = sum(sum(v.values()) for k, v in rec["statuses"].items() if k.startswith("GET"))
    writes = sum(sum(v.values()) for k, v in rec["statuses"].items()
                 if k.startswith(("POST /v1/applications", "PUT")))
    extra = [f"reads {reads}, writes {writes}: {reads / max(writes, 1):.1f} reads a write"]
    report.scenario("2. Parents' morning", stats(args, "morning"), rec, wall, checked, extra)

    # 3. The last day of a confirmation window. The operators open places for a share of each
    # queue (a popular kindergarten with a quarter of them, another with the rest), and run
    # the vouchers.
    operator = api.login(OPERATOR, role="operator")
    api.ok("PUT", "/v1/dev/clock", {"now": VOUCHER_DAY})
    queued = collections.Counter((r[3], r[4]) for r in rows)
    seed_free = collections.Counter()
    for kid, k in catalogue(api, districts).items():
        for age, n in k["free_places"].items():
            seed_free[(k["district"], int(age))] += n
    popular = {}
    for d in districts:
        ages = sorted(a for (dd, a) in queued if dd == d)
        want = {a: max(0, round(queued[(d, a)] * args.voucher_share) - seed_free[(d, a)])
                for a in ages}
        for role, share in (("popular", 0.25), ("main", 0.75)):
            free = {str(a): (n - round(n * 0.25) if role == "main" else round(n * 0.25))
                    for a, n in want.items()}
            kg = api.ok("POST", "/v1/admin/kindergartens", {
                "name_kk": f"Load {role} {d}", "name_ru": f"Load {role} {d}", "district": d,
                "address": f"{d}, Load street 1", "phone": "+7 7162 00 00 00",
                "ownership": "state", "type": "kindergarten", "languages": "both",
                "admission": "general", "free_places": free}, operator)
            places[kg["id"]] = free
            if role == "popular":
                popular[d] = kg["id"]
    offered: dict[str, tuple[str, int]] = {}
    runs = 0
    t0 = time.time()
    for (d, a) in sorted(queued):
        run = api.ok("POST", "/v1/admin/voucher-runs", {"district": d, "age_group": a}, operator)
        runs += 1
        for app in run["application_ids"]:
            offered[app] = (d, a)
    run_time = time.time() - t0
    parent_of = {r[2]: r[0] for r in rows}
    by_parent = collections.defaultdict(list)
    for app in offered:
        by_parent[parent_of[app]].append(app)
    holders = sorted(by_parent.items())
    # The deadline: the offers' confirm_by, read from one holder's card.
    first_parent, first_apps = holders[0]
    token = api.login(kl.parent_iin(first_parent))
    confirm_by = dt.datetime.fromisoformat(
        api.ok("GET", f"/v1/applications/{first_apps[0]}", token=token)["voucher"]["confirm_by"])
    start = confirm_by - dt.timedelta(seconds=args.deadline_in)
    clock = api.ok("PUT", "/v1/dev/clock", {"now": start.isoformat()})
    now = dt.datetime.fromisoformat(clock["now"])
    real = dt.datetime.fromisoformat(clock["real_now"])
    deadline_epoch = real.timestamp() + (confirm_by - now).total_seconds()
    with open(os.path.join(args.out, "holders.json"), "w") as f:
        json.dump({"deadline_epoch": deadline_epoch, "holders": holders, "popular": popular}, f)
    wall = run_locust(args, "last_day", len(holders) + 1, 500, "5m", env)
    rec = recorded(args, "last_day")
    # One more sweep after the run, as the schedule's next pass: every offer left unconfirmed
    # past confirm_by is acted on.
    swept = api.ok("POST", "/v1/admin/sweeps/expiry", token=operator)
    checked = invariants(api, children, places)
    left = checked["by_status"].get("voucher_offered", 0)
    if left:
        report.bad.append(f"last day: {left} offers left past their deadline after the sweep")
    extra = [
        f"{len(offered)} vouchers offered to {len(holders)} parents by {runs} voucher runs in "
        f"{run_time:.1f} s; the deadline {args.deadline_in:.0f} s into the run",
        f"after the run one more sweep lapsed {swept.get('lapsed')}; offers left unconfirmed "
        f"past the deadline: {left}",
    ]
    report.scenario("3. Last day of a confirmation window", stats(args, "last_day"), rec, wall,
                    checked, extra)

    report.say()
    report.say(f"whole run {time.time() - begun:.0f} s")
    if report.bad:
        report.say("FAILED:")
        for b in report.bad:
            report.say(f"- {b}")
    else:
        report.say("PASSED: no 5xx, no unexpected answer, every invariant held after each scenario")
    with open(os.path.join(args.out, "report.md"), "w") as f:
        f.write("\n".join(report.lines) + "\n")
    return 1 if report.bad else 0


if __name__ == "__main__":
    sys.exit(main())
