"""Prometheus metrics at /metrics.

HTTP request rate and latency histograms per route template (RequestMetrics, recorded by the
access log middleware), booking outcomes and the booking queue depth.
With several worker processes, `luna serve` sets PROMETHEUS_MULTIPROC_DIR so that every
worker's numbers are summed at scrape time (prometheus_client's multiprocess mode).
"""

import os

from fastapi import FastAPI, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.types import Scope

BOOKING_OUTCOMES = Counter(
    "luna_booking_outcomes_total",
    "Booking attempts by provider and outcome (booked, rejected, error, cancelled)",
    ["provider", "outcome"],
)
# Booking jobs owed (the outbox rows not done: waiting in the queue or running). Every
# process reads the same database-wide count (luna/agent/worker.py refreshes it at each
# sweep and after each job), so processes are combined with max, not summed.
BOOKING_QUEUE_DEPTH = Gauge(
    "luna_booking_queue_depth",
    "Booking jobs waiting to be run (or running)",
    multiprocess_mode="livemax",
)

# A/B experiments (luna.experiments): lists served per arm (counted as they are served) and
# people newly found converted (counted when the results are computed, see
# luna.experiments.service.read_results).
EXPERIMENT_EXPOSURES = Counter(
    "luna_experiment_exposures",
    "Recommendation lists served in an experiment, by experiment and arm",
    ["experiment", "arm"],
)
EXPERIMENT_CONVERSIONS = Counter(
    "luna_experiment_conversions",
    "People converted in an experiment (within its attribution window, on a shown item), "
    "by experiment and arm",
    ["experiment", "arm"],
)


# Request latency buckets (seconds): fine where Luna's routes answer, coarse beyond.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class RequestMetrics:
    """`http_requests_total{handler,method,status}` and
    `http_request_duration_seconds{handler,method}`, the names and labels of
    prometheus-fastapi-instrumentator, which Luna used before: it matched every route again on
    each request, about a tenth of a fast route's CPU. Recorded by the access log middleware
    (one pass per request for both); the handler is the route template FastAPI leaves in the
    scope ("none" when no route matched)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "http_requests_total",
            "Requests by route template, method and status class",
            ["handler", "method", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Request latency by route template and method",
            ["handler", "method"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )

    def observe(self, scope: Scope, status: int, seconds: float) -> None:
        if scope["path"] == "/metrics":
            return
        handler = getattr(scope.get("route"), "path", None) or "none"
        method = scope["method"]
        self.requests.labels(handler, method, f"{status // 100}xx").inc()
        self.latency.labels(handler, method).observe(seconds)


def install_metrics(app: FastAPI) -> RequestMetrics:
    """Each app gets its own registry (tests build many apps in one process); the
    process-wide Luna metrics and the process/GC collectors are registered into it. With
    PROMETHEUS_MULTIPROC_DIR set (`luna serve --workers N`), /metrics sums every worker.
    Returns the request metrics, for the access log middleware to record."""
    registry = CollectorRegistry()
    for collector in (
        BOOKING_OUTCOMES,
        BOOKING_QUEUE_DEPTH,
        EXPERIMENT_EXPOSURES,
        EXPERIMENT_CONVERSIONS,
    ):
        registry.register(collector)
    ProcessCollector(registry=registry)
    GCCollector(registry=registry)

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        exposed = registry
        if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
            exposed = CollectorRegistry()
            MultiProcessCollector(exposed)
        return Response(generate_latest(exposed), media_type=CONTENT_TYPE_LATEST)

    return RequestMetrics(registry)
