"""Failure counters over a time window (login throttling), in-process or in Redis."""

from designer_bff.ratelimit.base import FailureCounter

__all__ = ["FailureCounter"]
