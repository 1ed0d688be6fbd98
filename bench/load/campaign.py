"""Scenario 1, the campaign's opening: KEZEK_LOAD_PARENTS parents (10,000) each log in with a
session of their own and register their own child within the first minute. About 5% click
"submit" twice at once (one 201, the other 409 duplicate_child); about 3% first send bad input
(400 naming the field: a wrong check digit, an unknown district, a broken e-mail or phone) and
then correct it. Each parent is one locust user; the run stops when every parent is done.
"""

from __future__ import annotations

import itertools
import random

import gevent
from locust import FastHttpUser, constant, events, task

import kezek_load as kl

PARENTS = kl.env_int("KEZEK_LOAD_PARENTS", 10_000)
DUPLICATE_SHARE = kl.env_float("KEZEK_LOAD_DUPLICATES", 0.05)
BAD_SHARE = kl.env_float("KEZEK_LOAD_BAD_INPUT", 0.03)
SEED = kl.env_int("KEZEK_LOAD_SEED", 21)

record = kl.Record()
kl.install(events, record, "campaign")
done = kl.Done(PARENTS)
numbers = itertools.count()

SUBMIT = "POST /v1/applications"


def body(i: int) -> dict:
    return {
        "district": kl.district_of(i),
        "child_iin": kl.child_iin(i),
        "email": f"parent{i}@example.kz",
        "phone": f"+7 701 {i // 10000 % 1000:03} {i % 10000 // 100:02} {i % 100:02}",
        "language": "kk" if i % 3 == 0 else "ru",
    }


def spoiled(i: int, rng: random.Random) -> tuple[dict, str]:
    """A body with one field wrong, and the field the 400 must name."""
    b = body(i)
    kind = rng.choice(["child_iin", "district", "email", "phone"])
    if kind == "child_iin":
        iin = b["child_iin"]
        b["child_iin"] = iin[:11] + str((int(iin[11]) + 1) % 10)
    elif kind == "district":
        b["district"] = "XXX"
    elif kind == "email":
        b["email"] = "parent-at-example.kz"
    else:
        b["phone"] = "12"
    return b, kind


class Parent(FastHttpUser):
    # After registering, a parent waits (the run stops once all are done).
    wait_time = constant(3600)

    def on_start(self) -> None:
        self.i = next(numbers)
        self.rng = random.Random(SEED * 1_000_003 + self.i)
        self.token = None
        if self.i >= PARENTS:
            return
        self.token = kl.login(self.client, kl.parent_iin(self.i))

    def submit(self, b: dict, name: str = SUBMIT) -> tuple[int, str]:
        headers = {"Authorization": f"Bearer {self.token}"}
        with self.client.post("/v1/applications", json=b, headers=headers, name=name,
                              catch_response=True) as r:
            verdict = kl.judge(r, ok=(201,), expected={409: {"duplicate_child"}})
            if verdict == "ok":
                app = r.json()
                record.row([self.i, 0, app["id"], app["district"], app["age_group"]])
            return r.status_code, verdict

    @task
    def register(self) -> None:
        if self.i >= PARENTS:
            return
        if self.token is None:
            record.outcome("login failed")
            done.one(self.environment)
            return
        roll = self.rng.random()
        if roll < BAD_SHARE:
            b, field = spoiled(self.i, self.rng)
            headers = {"Authorization": f"Bearer {self.token}"}
            with self.client.post("/v1/applications", json=b, headers=headers,
                                  name=SUBMIT + " (bad input)", catch_response=True) as r:
                if r.status_code == 400 and kl.error_field(r) == field:
                    r.success()
                    record.outcome(f"bad input refused: {field}")
                else:
                    r.failure(f"{r.status_code} {kl.error_code(r)}: expected 400 naming {field}")
            gevent.sleep(self.rng.uniform(1, 3))  # the parent reads the message and corrects
            status, _ = self.submit(body(self.i))
            record.outcome("registered after a correction" if status == 201 else "not registered")
        elif roll < BAD_SHARE + DUPLICATE_SHARE:
            # A double click: the same submission twice at once.
            b = body(self.i)
            pair = [gevent.spawn(self.submit, b, SUBMIT + " (double click)") for _ in range(2)]
            gevent.joinall(pair)
            answers = sorted(g.value[0] for g in pair if g.value)
            record.outcome(f"double click answered {answers}")
        else:
            status, _ = self.submit(body(self.i))
            record.outcome("registered" if status == 201 else "not registered")
        # Done: free the connection, so 10,000 idle parents hold no sockets.
        self.client.client.clientpool.close()
        done.one(self.environment)
