"""Attempt budgets over a time window (login, password change and registration throttling),
kept by the `limits` library in-process or in Redis."""

from designer_bff.ratelimit.base import Limit, Throttle

__all__ = ["Limit", "Throttle"]
