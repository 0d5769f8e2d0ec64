"""Prometheus metrics at /metrics.

HTTP request rate and latency histograms per route template come from
prometheus-fastapi-instrumentator; Luna adds booking outcomes and the booking queue depth.
With several worker processes, `luna serve` sets PROMETHEUS_MULTIPROC_DIR so that every
worker's numbers are summed at scrape time (prometheus_client's multiprocess mode).
"""

from fastapi import FastAPI
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    ProcessCollector,
)
from prometheus_fastapi_instrumentator import Instrumentator

BOOKING_OUTCOMES = Counter(
    "luna_booking_outcomes_total",
    "Booking attempts by provider and outcome (booked, rejected, error, cancelled)",
    ["provider", "outcome"],
)
# Booking jobs waiting for a worker. Confirm books inline for now, so this stays 0 until
# bookings run through a job queue.
BOOKING_QUEUE_DEPTH = Gauge(
    "luna_booking_queue_depth",
    "Booking jobs waiting to be run",
    multiprocess_mode="livesum",
)


def install_metrics(app: FastAPI) -> None:
    """Each app gets its own registry (tests build many apps in one process); the
    process-wide Luna metrics and the process/GC collectors are registered into it."""
    registry = CollectorRegistry()
    for collector in (BOOKING_OUTCOMES, BOOKING_QUEUE_DEPTH):
        registry.register(collector)
    ProcessCollector(registry=registry)
    GCCollector(registry=registry)
    Instrumentator(excluded_handlers=["/metrics"], registry=registry).instrument(app).expose(
        app, include_in_schema=False
    )
