"""Password hashing with argon2id through libpass (the maintained passlib); bcrypt hashes still verify.

Hashing takes ~0.1 s of CPU on purpose, so it runs in a worker thread, off the event loop.
"""

from __future__ import annotations

import asyncio
from functools import cache

from passlib.context import CryptContext

_context = CryptContext(schemes=["argon2", "bcrypt"], deprecated="auto")


@cache
def _dummy_hash() -> str:
    """A real hash, verified when the email is unknown so both paths take the same time."""
    return _context.hash("scrapeflow-timing-equaliser")


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_context.hash, password)


async def verify_password(password: str, password_hash: str | None) -> tuple[bool, str | None]:
    """Check in constant time; returns (valid, new hash when the stored one is outdated)."""
    if password_hash is None:
        await asyncio.to_thread(_context.verify, password, _dummy_hash())
        return False, None
    valid, new_hash = await asyncio.to_thread(_context.verify_and_update, password, password_hash)
    return bool(valid), new_hash
