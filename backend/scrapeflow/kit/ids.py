"""Identifiers: time-ordered UUIDs (version 7) keep primary-key indexes compact and sortable.

Within a process they are strictly increasing, even within one millisecond (RFC 9562's monotonic random
counter), so rows written in one go keep their order when read back by id: an execution's rows come out in
the order they were found on the page.
"""

import os
import threading
import time
import uuid

# rand_a and rand_b (74 bits) count together; a new millisecond seeds the counter in the lower half of
# that range, so counting on within one millisecond never overflows.
_SEED_BITS = 73

_lock = threading.Lock()
_last_millis = -1
_last_counter = 0


def uuid7() -> uuid.UUID:
    global _last_millis, _last_counter
    millis = time.time_ns() // 1_000_000
    with _lock:
        if millis > _last_millis:
            counter = int.from_bytes(os.urandom(10), "big") >> (80 - _SEED_BITS)
        else:  # the same millisecond (or the clock stepped back): count on from the last id
            millis, counter = _last_millis, _last_counter + 1
        _last_millis, _last_counter = millis, counter
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= (counter >> 62) << 64
    value |= 0b10 << 62
    value |= counter & ((1 << 62) - 1)
    return uuid.UUID(int=value)
