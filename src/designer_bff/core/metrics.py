"""Prometheus metrics: HTTP requests, the generation queue, design latency, provider
errors and retries, broker reconnects.

Queue depth is read from the database (the record of truth, shared by every process) at
scrape time, with one grouped query cached for a couple of seconds; everything else is
counted where it happens, in the process it happens in. Roles without an HTTP server
(worker, scheduler) expose the same registry on METRICS_PORT (`serve`)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from typing import NamedTuple
from wsgiref.simple_server import WSGIServer

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST, start_http_server
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

log = structlog.get_logger("designer_bff.metrics")

# A scrape storm (several Prometheus replicas, a dashboard refreshing) costs one query
# per this many seconds.
QUEUE_DEPTH_CACHE_S = 2.0
# A scrape gives up on the database after this long (the depth is left out, not stale).
QUEUE_DEPTH_TIMEOUT_S = 5.0


class QueueDepth(NamedTuple):
    """Designs of one user and provider that are not made yet."""

    user_id: str
    provider: str
    waiting: int  # pending: queued, no worker has it yet
    in_progress: int  # claimed: a worker is making it


QueueDepthSource = Callable[[], Awaitable[Iterable[QueueDepth]]]


class _QueueDepthCollector(Collector):
    """Yields the last snapshot read by `Metrics.refresh` (collect() is synchronous and
    must not touch the database itself)."""

    NAME = "designer_bff_design_queue_depth"
    HELP = (
        "Designs not made yet, by user, provider and state (waiting: queued for a worker; "
        "in_progress: a worker is making it). Read from the database at scrape time."
    )

    def __init__(self) -> None:
        self.rows: list[QueueDepth] | None = None

    def _family(self) -> GaugeMetricFamily:
        return GaugeMetricFamily(self.NAME, self.HELP, labels=["user_id", "provider", "state"])

    def describe(self) -> Iterable[Metric]:
        return [self._family()]

    def collect(self) -> Iterable[Metric]:
        rows = self.rows
        if rows is None:  # never read, or the database did not answer: say nothing
            return []
        family = self._family()
        for row in rows:
            family.add_metric([row.user_id, row.provider, "waiting"], row.waiting)
            family.add_metric([row.user_id, row.provider, "in_progress"], row.in_progress)
        return [family]


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self, *, queue_depth_cache_s: float = QUEUE_DEPTH_CACHE_S) -> None:
        # A registry per app instance keeps tests (several apps in one process) independent.
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.design_latency = Histogram(
            "designer_bff_design_latency_seconds",
            "Seconds from a design's job being created to its image being ready, by the "
            "provider that made it (observed by the process that made it).",
            ["provider"],
            buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
            registry=self.registry,
        )
        self.provider_errors = Counter(
            "designer_bff_provider_errors_total",
            "Failed provider calls (every attempt), by provider and error code.",
            ["provider", "code"],
            registry=self.registry,
        )
        self.provider_retries = Counter(
            "designer_bff_provider_retries_total",
            "Provider calls retried after a transient failure, by provider and the code of "
            "the error that was retried.",
            ["provider", "code"],
            registry=self.registry,
        )
        self.broker_reconnects = Counter(
            "designer_bff_broker_reconnects_total",
            "Connections to Redis re-established after being lost, by component (queue: "
            "the job queue's broker; session_signal: the sessions-ended pub/sub).",
            ["broker"],
            registry=self.registry,
        )
        self._queue = _QueueDepthCollector()
        self.registry.register(self._queue)
        self._queue_source: QueueDepthSource | None = None
        self._queue_cache_s = queue_depth_cache_s
        self._queue_read_at = -float("inf")
        self._queue_lock = asyncio.Lock()
        self._exporter: tuple[WSGIServer, threading.Thread] | None = None

    # -- counting ----------------------------------------------------------------------
    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def design_ready(self, provider: str, seconds: float) -> None:
        self.design_latency.labels(provider).observe(max(seconds, 0.0))

    def provider_failed(self, provider: str, code: str) -> None:
        self.provider_errors.labels(provider, code).inc()

    def provider_retried(self, provider: str, code: str) -> None:
        self.provider_retries.labels(provider, code).inc()

    def broker_reconnected(self, broker: str) -> None:
        self.broker_reconnects.labels(broker).inc()

    def reconnect_counter(self, broker: str, *, skip_first: bool = False) -> Callable[[], None]:
        """A callback for a component that reports each (re)connection; with `skip_first`
        its first call is the initial connection, not a reconnect."""
        # Zero from the start, so a rate over the series exists before the first outage.
        self.broker_reconnects.labels(broker)
        seen = not skip_first

        def connected() -> None:
            nonlocal seen
            if seen:
                self.broker_reconnected(broker)
            seen = True

        return connected

    # -- queue depth -------------------------------------------------------------------
    def watch_queue(self, source: QueueDepthSource) -> None:
        """Where queue depth is read from (one grouped query over the designs table)."""
        self._queue_source = source

    async def refresh(self) -> None:
        """Read queue depth unless a read younger than the cache period exists; concurrent
        scrapes share one read."""
        if self._queue_source is None or self._fresh():
            return
        async with self._queue_lock:
            if self._fresh():  # another scrape read it while this one waited
                return
            try:
                rows: list[QueueDepth] | None = list(
                    await asyncio.wait_for(self._queue_source(), QUEUE_DEPTH_TIMEOUT_S)
                )
            except Exception as exc:  # the database is down: no figure rather than a stale one
                log.warning("queue_depth_unavailable", error=repr(exc))
                rows = None
            self._queue.rows = rows
            self._queue_read_at = time.monotonic()

    def _fresh(self) -> bool:
        return time.monotonic() - self._queue_read_at < self._queue_cache_s

    # -- exposition --------------------------------------------------------------------
    def render(self) -> bytes:
        return generate_latest(self.registry)

    async def render_async(self) -> bytes:
        """The text exposition with queue depth read (or cached) first."""
        await self.refresh()
        return self.render()

    def serve(self, host: str, port: int) -> None:
        """Serve this registry (GET /metrics, or any path) on host:port from a thread:
        prometheus_client's own exporter, for processes without an HTTP server. Each
        scrape reads queue depth on the calling event loop. Raises OSError when the
        address cannot be bound."""
        if self._exporter is not None:
            raise RuntimeError("the metrics exporter is already running")
        view = _LoopRefreshedView(self, asyncio.get_running_loop())
        server, thread = start_http_server(port, addr=host, registry=view)
        self._exporter = (server, thread)
        log.info("metrics_exporter_started", host=host, port=port)

    async def aclose(self) -> None:
        """Stop the exporter started by `serve` (if any)."""
        if self._exporter is None:
            return
        server, thread = self._exporter
        self._exporter = None
        await asyncio.to_thread(server.shutdown)  # returns once serve_forever has
        server.server_close()
        await asyncio.to_thread(thread.join, 5)


class _LoopRefreshedView(Collector):
    """The registry as the exporter thread sees it: queue depth is read on the event loop
    (where the database engine lives) before the registry is collected."""

    def __init__(self, metrics: Metrics, loop: asyncio.AbstractEventLoop) -> None:
        self.metrics = metrics
        self.loop = loop

    def _refresh(self) -> None:
        if self.loop.is_closed():
            return
        future = asyncio.run_coroutine_threadsafe(self.metrics.refresh(), self.loop)
        try:
            future.result(QUEUE_DEPTH_TIMEOUT_S + 1)
        except Exception as exc:
            future.cancel()
            log.warning("metrics_refresh_failed", error=repr(exc))

    def collect(self) -> Iterator[Metric]:
        self._refresh()
        yield from self.metrics.registry.collect()

    def restricted_registry(self, names: Sequence[str]) -> Collector:
        # `?name[]=...` scrapes: the same, filtered.
        self._refresh()
        return self.metrics.registry.restricted_registry(names)
