"""Scenario 2, the parents' morning: with the campaign's applications in the store,
KEZEK_LOAD_MORNING_USERS of its parents (each a locust user with a session of its own) open
the journal and their application's card (the queue position) twenty times as often as they
write. A write is registering a younger sibling (the first time; a new application, as in the
campaign) or updating their contact details (PUT /v1/me). The run lasts
KEZEK_LOAD_MORNING_SECONDS (locust's --run-time).
"""

from __future__ import annotations

import itertools
import json
import os
import random

from locust import FastHttpUser, constant_throughput, events, task

import kezek_load as kl

PARENTS = kl.env_int("KEZEK_LOAD_PARENTS", 10_000)
PER_USER = kl.env_float("KEZEK_LOAD_MORNING_RATE", 0.5)  # requests a second per parent
SEED = kl.env_int("KEZEK_LOAD_SEED", 21)

record = kl.Record()
kl.install(events, record, "morning")

# The campaign's registrations: parent -> application id. Parents in a shuffled order.
with open(os.path.join(kl.state_dir(), "campaign.json")) as f:
    _rows = json.load(f)["rows"]
APPLICATION = {row[0]: row[2] for row in _rows}
ORDER = sorted(APPLICATION)
random.Random(SEED).shuffle(ORDER)
turn = itertools.count()


class Parent(FastHttpUser):
    wait_time = constant_throughput(PER_USER)

    def on_start(self) -> None:
        self.i = ORDER[next(turn) % len(ORDER)]
        self.rng = random.Random(SEED * 7 + self.i)
        self.app = APPLICATION[self.i]
        self.sibling = False
        token = kl.login(self.client, kl.parent_iin(self.i))
        self.headers = {"Authorization": f"Bearer {token}"}

    @task(10)
    def journal(self) -> None:
        with self.client.get("/v1/applications", headers=self.headers,
                             name="GET /v1/applications (journal)", catch_response=True) as r:
            if kl.judge(r) == "ok" and not any(a["id"] == self.app for a in r.json()):
                r.failure("the journal lacks the parent's application")

    @task(10)
    def position(self) -> None:
        with self.client.get(f"/v1/applications/{self.app}", headers=self.headers,
                             name="GET /v1/applications/{id} (position)",
                             catch_response=True) as r:
            if kl.judge(r) == "ok":
                a = r.json()
                if a["status"] == "queued" and not (a["queue"] or {}).get("position"):
                    r.failure("a queued application without its position")

    @task(1)
    def write(self) -> None:
        if not self.sibling:
            self.sibling = True
            b = {
                "district": kl.district_of(self.i),
                "child_iin": kl.child_iin(self.i, 1),
                "email": f"parent{self.i}@example.kz",
                "phone": "+77011234567",
            }
            with self.client.post("/v1/applications", json=b, headers=self.headers,
                                  name="POST /v1/applications (sibling)",
                                  catch_response=True) as r:
                if kl.judge(r, ok=(201,)) == "ok":
                    app = r.json()
                    record.row([self.i, 1, app["id"], app["district"], app["age_group"]])
            return
        profile = {
            "email": f"parent{self.i}.{self.rng.randrange(1000)}@example.kz",
            "phone": "+77011234567",
            "language": self.rng.choice(["kk", "ru"]),
        }
        with self.client.put("/v1/me", json=profile, headers=self.headers,
                             name="PUT /v1/me (contacts)", catch_response=True) as r:
            kl.judge(r)
