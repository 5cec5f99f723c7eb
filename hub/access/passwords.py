"""Password checks within a memory budget: argon2id takes 64 MiB a check, so a process runs a few at once.

`login` is public. Unbounded, ten parallel logins from one address took more than a 512 MiB pod has; now a
check waits briefly for one of `slots` and is otherwise refused RATE_LIMITED, costing nothing. The decoy
hash (checked when the username is unknown, so that a wrong name costs as long as a wrong password) is made
at start-up, off the event loop.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError

from simpul.errors import PublicError

T = TypeVar("T")

BUSY = "the hub is checking too many passwords at once; try again in a few seconds"
MAX_PASSWORD = 1024


class PasswordsBusy(PublicError):
    code = "RATE_LIMITED"


class PasswordChecks:
    """This process's argon2 work: at most `slots` hashes or checks at once, each waiting at most `wait` s."""

    def __init__(self, slots: int = 2, wait: float = 1.0, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or PasswordHasher()
        self.wait = wait
        self._slots = asyncio.Semaphore(slots)
        self._decoy: str | None = None

    async def start(self) -> None:
        """Make the decoy hash, in a thread: the event loop keeps serving meanwhile."""
        self._decoy = await asyncio.to_thread(self.hasher.hash, secrets.token_urlsafe(16))

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether `password` matches; with None (no such user) the decoy is checked, and the answer is False."""
        if password_hash is None and self._decoy is None:
            await self.start()
        stored = password_hash if password_hash is not None else self._decoy
        assert stored is not None
        try:
            ok = bool(await self._run(self.hasher.verify, stored, password[:MAX_PASSWORD]))
        except (VerifyMismatchError, InvalidHashError):
            return False
        return ok and password_hash is not None

    async def hash(self, password: str) -> str:
        return await self._run(self.hasher.hash, password)

    async def _run(self, work: Callable[..., T], *args: str) -> T:
        try:
            async with asyncio.timeout(self.wait):
                await self._slots.acquire()
        except TimeoutError:
            raise PasswordsBusy(BUSY) from None
        try:
            return await asyncio.to_thread(work, *args)
        finally:
            self._slots.release()
