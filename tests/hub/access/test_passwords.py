"""hub/access/passwords.py: argon2 checks run a few at a time; the rest wait briefly, then hear RATE_LIMITED."""

from __future__ import annotations

import asyncio
import threading
import time

from argon2 import PasswordHasher

from hub.access.passwords import PasswordChecks, PasswordsBusy


class CountingHasher(PasswordHasher):
    """A real hasher (cheap parameters) that remembers how many checks ran at once."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.running = self.peak = 0
        self.lock = threading.Lock()

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
        time.sleep(0.05)
        try:
            return super().verify(hash, password)
        finally:
            with self.lock:
                self.running -= 1


async def test_at_most_the_slots_check_at_once_and_the_excess_is_refused() -> None:
    hasher = CountingHasher()
    checks = PasswordChecks(slots=2, wait=0.2, hasher=hasher)
    await checks.start()
    stored = await checks.hash("sandi yang benar sekali")

    async def attempt(password: str) -> bool | str:
        try:
            return await checks.verify(stored, password)
        except PasswordsBusy as exc:
            return exc.code

    answers = await asyncio.gather(*(attempt("sandi yang benar sekali" if i == 0 else "salah") for i in range(30)))
    assert hasher.peak == 2
    assert answers.count("RATE_LIMITED") >= 10 and answers[0] is True
    assert set(answers[1:]) <= {False, "RATE_LIMITED"}
    assert await checks.verify(None, "salah") is False  # an unknown user: the decoy is checked, never a match
