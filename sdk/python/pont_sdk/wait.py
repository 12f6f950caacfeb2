"""Waiting for something outside the robot without holding anything: the
item ends with a ``waiting`` outcome, the host frees the instance (and any
browser session) at once and feeds the item again when the time comes. A
wait uses no attempt and is not a failure."""

import time

from .robot import Outcome


def wait_for(delay_secs: float, reason: str):
    """Come back to this item after ``delay_secs`` seconds, because of
    ``reason`` (an agent reads it in ``pont runs`` and the review queue)::

        return wait_for(600, "contrôle en cours")
    """
    until = int((time.time() + max(0.0, delay_secs)) * 1000)
    return wait_until_ms(until, reason)


def wait_until_ms(until_ms: int, reason: str):
    """Come back to this item at ``until_ms`` (milliseconds since the Unix epoch)."""
    return Outcome.waiting(max(0, min(int(until_ms), 2**64 - 1)), reason)
