"""Locust users for ``bench/bench_latency.py``: signed-in coordinators opening participant pages.

``BENCH_TARGET=participant`` opens the page of a random participant (codes from the file named
by ``BENCH_CODES``); ``BENCH_TARGET=bare`` requests the bare view. Every user carries its own
signed-in session (keys in the file named by ``BENCH_SESSIONS``) and pauses ``BENCH_THINK``
seconds on average between pages (0: none).
"""

from __future__ import annotations

import itertools
import os
import random
from pathlib import Path

from locust import HttpUser, between, constant, task

TARGET = os.environ.get("BENCH_TARGET", "participant")
CODES = Path(os.environ["BENCH_CODES"]).read_text().split() if TARGET == "participant" else []
SESSIONS = Path(os.environ["BENCH_SESSIONS"]).read_text().split()
_NUMBER = itertools.count()
# Seconds a user pauses between pages (on average); 0 = none, the server's saturation point.
THINK = float(os.environ.get("BENCH_THINK", "0"))


class Coordinator(HttpUser):
    wait_time = between(THINK / 2, THINK * 1.5) if THINK > 0 else constant(0)

    def on_start(self) -> None:
        # a session signed in beforehand (bench_latency.py), one per user
        key = SESSIONS[next(_NUMBER) % len(SESSIONS)]
        self.client.headers["Cookie"] = f"sessionid={key}"

    @task
    def open_page(self) -> None:
        if TARGET == "bare":
            self.client.get("/bench/bare/", name="bare")
            return
        code = random.choice(CODES)
        with self.client.get(
            f"/participants/{code}/", name="participant", catch_response=True
        ) as response:
            if response.status_code != 200 or code not in response.text:
                response.failure(f"status {response.status_code}")
