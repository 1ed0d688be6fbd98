"""Scenario 3, the last day of a confirmation window: every parent holding a voucher (one locust
user each, a session of its own) acts at a moment drawn between the run's start and a few
seconds past the deadline (`confirm_by`, end of the 2nd working day), while an operator runs
the expiry sweep every second. On time: read the card, confirm, read the catalogue, choose a
kindergarten (most want the district's popular one; on 409 no_free_place they pick another
with places left). Past the deadline: the confirm must be refused (409 deadline_passed, or
not_in_status once the sweep stop-listed it), never a late success. A few refuse the voucher.
A parent who finds the offer already stop-listed restores the application. The driver (drive.py) issued the vouchers and wrote holders.json.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time

import gevent
from locust import FastHttpUser, constant, events, task

import kezek_load as kl

SEED = kl.env_int("KEZEK_LOAD_SEED", 21)
POPULAR_SHARE = kl.env_float("KEZEK_LOAD_POPULAR", 0.6)
REFUSE_SHARE = kl.env_float("KEZEK_LOAD_REFUSE", 0.03)
LATE_TAIL = kl.env_float("KEZEK_LOAD_LATE_TAIL", 5.0)  # seconds past the deadline

with open(os.path.join(kl.state_dir(), "holders.json")) as f:
    PLAN = json.load(f)
DEADLINE = PLAN["deadline_epoch"]  # real time at which confirm_by passes
HOLDERS = PLAN["holders"]  # [parent, [application ids]]
POPULAR = PLAN["popular"]  # district -> kindergarten id

record = kl.Record()
kl.install(events, record, "last_day")
done = kl.Done(len(HOLDERS))
turn = itertools.count()

LATE = {409: {"deadline_passed", "not_in_status"}}


class Sweeper(FastHttpUser):
    """The expiry sweep, once a second, as the schedule (every 15 minutes in AWS) would run it
    at the deadline."""

    fixed_count = 1
    wait_time = constant(1)

    def on_start(self) -> None:
        token = kl.login(self.client, "850505300001", role="operator",
                         name="POST /v1/dev/login (operator)")
        self.headers = {"Authorization": f"Bearer {token}"}

    @task
    def sweep(self) -> None:
        with self.client.post("/v1/admin/sweeps/expiry", headers=self.headers,
                              name="POST /v1/admin/sweeps/expiry", catch_response=True) as r:
            if kl.judge(r) == "ok":
                report = r.json()
                record.outcome("sweeps")
                for key in ("lapsed", "conflicts"):
                    record.outcomes[f"sweep {key}"] += report.get(key, 0) if isinstance(report, dict) else 0


class Holder(FastHttpUser):
    wait_time = constant(3600)

    def on_start(self) -> None:
        n = next(turn)
        self.parent, self.apps = HOLDERS[n % len(HOLDERS)] if n < len(HOLDERS) else (None, [])
        if self.parent is None:
            return
        self.rng = random.Random(SEED * 31 + self.parent)
        token = kl.login(self.client, kl.parent_iin(self.parent))
        self.headers = {"Authorization": f"Bearer {token}"}

    def card(self, app: str) -> dict | None:
        with self.client.get(f"/v1/applications/{app}", headers=self.headers,
                             name="GET /v1/applications/{id}", catch_response=True) as r:
            return r.json() if kl.judge(r) == "ok" else None

    def catalogue(self, district: str, age: int) -> list[dict]:
        with self.client.get(f"/v1/kindergartens?district={district}&age_group={age}",
                             name="GET /v1/kindergartens", catch_response=True) as r:
            return r.json() if kl.judge(r) == "ok" else []

    def choose(self, app: str, district: str, age: int) -> None:
        tried = set()
        if self.rng.random() < POPULAR_SHARE:
            want = POPULAR[district]
        else:
            want = None
        for _ in range(6):
            if want is None:
                free = [k["id"] for k in self.catalogue(district, age)
                        if k["free_places"].get(str(age), 0) > 0 and k["id"] not in tried]
                if not free:
                    record.outcome("no kindergarten with a place left")
                    return
                want = self.rng.choice(free)
            tried.add(want)
            with self.client.post(f"/v1/applications/{app}/kindergarten",
                                  json={"kindergarten_id": want}, headers=self.headers,
                                  name="POST /v1/applications/{id}/kindergarten",
                                  catch_response=True) as r:
                verdict = kl.judge(r, expected={409: {"no_free_place"}})
            if verdict == "ok":
                record.outcome("enrolled")
                record.row([self.parent, app, want])
                return
            if verdict == "failed":
                return
            record.outcome("no_free_place, chose again")
            want = None
        record.outcome("gave up choosing")

    def act(self, app: str) -> None:
        a = self.card(app)
        if a is not None and a["status"] == "stop_listed":
            # Too late: the sweep stop-listed the offer. The parent restores the application
            # (once, within 28 days): back in the queue at its old place.
            with self.client.post(f"/v1/applications/{app}/restore", headers=self.headers,
                                  name="POST /v1/applications/{id}/restore",
                                  catch_response=True) as r:
                record.outcome(f"stop-listed, restore: {kl.judge(r)}")
            return
        if a is None or a["status"] != "voucher_offered":
            record.outcome(f"card says {a and a['status']}")
            return
        if self.rng.random() < REFUSE_SHARE and time.time() < DEADLINE - 2:
            with self.client.post(f"/v1/applications/{app}/voucher/refuse", headers=self.headers,
                                  name="POST /v1/applications/{id}/voucher/refuse",
                                  catch_response=True) as r:
                if kl.judge(r) == "ok":
                    record.outcome("refused")
            return
        sent = time.time()
        with self.client.post(f"/v1/applications/{app}/voucher/confirm", headers=self.headers,
                              name="POST /v1/applications/{id}/voucher/confirm",
                              catch_response=True) as r:
            verdict = kl.judge(r, expected=LATE)
            if verdict == "ok" and sent > DEADLINE + 0.2:
                r.failure("a confirm sent after the deadline succeeded")
                verdict = "late success"
        record.outcome(f"confirm {'late' if sent > DEADLINE else 'on time'}: {verdict}")
        if verdict == "ok":
            self.choose(app, a["district"], a["age_group"])

    @task
    def last_day(self) -> None:
        if self.parent is None:
            return
        # Each parent comes at a moment of their own, up to a few seconds past the deadline.
        at = self.rng.uniform(time.time(), DEADLINE + LATE_TAIL)
        gevent.sleep(max(0.0, at - time.time()))
        for app in self.apps:
            self.act(app)
        self.client.client.clientpool.close()
        done.one(self.environment)
