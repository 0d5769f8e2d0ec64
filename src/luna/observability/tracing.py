"""Tracing with OpenTelemetry: requests, SQL, provider calls over HTTP and the booking job.

Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set: then `tracer_provider_from` returns None and
nothing is instrumented (no ASGI middleware, no SQLAlchemy event listeners, no httpx hooks),
so tracing costs nothing. When it is set, spans go over OTLP/HTTP to
`$OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces`, named after OTEL_SERVICE_NAME.

Everything instrumented here takes its TracerProvider explicitly, so a test can pass its own
(with an in-memory exporter) without touching OpenTelemetry's global provider, which can be
set only once per process; the provider built from the settings is also made the global one.

The trace context crosses into the booking job as a W3C `traceparent` job argument
(`current_traceparent` at confirm, `job_span` in the job): one trace shows the confirm
request, the job, its SQL and its calls to the booking partner.
"""

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from luna.config import Settings

logger = logging.getLogger(__name__)

TRACER_NAME = "luna"
JOB_SPAN = "booking job"
_global_lock = threading.Lock()
_global_provider: TracerProvider | None = None


def tracer_provider_from(
    settings: Settings, span_processor: SpanProcessor | None = None
) -> TracerProvider | None:
    """The provider tracing uses, or None (tracing off: no endpoint and no processor given).

    With `span_processor` (tests), a new provider exporting there, not made global. Without,
    the process's one OTLP provider, made global (built once, whatever the number of apps).
    """
    resource = Resource.create({SERVICE_NAME: settings.otel_service_name})
    if span_processor is not None:
        provider = TracerProvider(resource=resource)
        provider.add_span_processor(span_processor)
        return provider
    if not settings.otel_exporter_otlp_endpoint:
        return None
    global _global_provider
    with _global_lock:
        if _global_provider is None:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            endpoint = settings.otel_exporter_otlp_endpoint.rstrip("/") + "/v1/traces"
            provider = TracerProvider(resource=resource)
            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
            trace.set_tracer_provider(provider)
            _global_provider = provider
            logger.info("tracing on: spans go to %s", endpoint)
        return _global_provider


def instrument_app(app: Any, provider: TracerProvider) -> None:
    """The ASGI server spans of a FastAPI app (one per request)."""
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider)


def instrument_engine(engine: Any, provider: TracerProvider) -> None:
    """A span per SQL statement on this engine (and no other: `create_engine` is left alone)."""
    from opentelemetry.instrumentation.sqlalchemy import __version__
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.metrics import get_meter

    tracer = trace.get_tracer(
        "opentelemetry.instrumentation.sqlalchemy", __version__, tracer_provider=provider
    )
    # The instrumentation's connection gauge, on the no-op meter: Luna's metrics are
    # Prometheus' (luna.observability.metrics).
    usage = get_meter(__name__).create_up_down_counter("db.client.connections.usage")
    EngineTracer(tracer, engine, usage)


def instrument_http_client(client: Any, provider: TracerProvider) -> None:
    """A client span per request of an httpx2 client (the booking partner's)."""
    import httpx2

    # The instrumentation imports `httpx`: httpx2 answers to that name (httpx2's own switch).
    httpx2.alias_httpx()
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    HTTPXClientInstrumentor.instrument_client(client, tracer_provider=provider)


def current_traceparent() -> str | None:
    """The W3C traceparent of the current span, to hand to a job; None outside any trace."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")


@contextmanager
def job_span(
    provider: TracerProvider | None, traceparent: str | None, **attributes: str
) -> Iterator[None]:
    """The job's span, a child of the span that queued it when its traceparent came along."""
    if provider is None:
        yield
        return
    parent = propagate.extract({"traceparent": traceparent}) if traceparent else None
    token = otel_context.attach(parent) if parent is not None else None
    try:
        tracer = provider.get_tracer(TRACER_NAME)
        with tracer.start_as_current_span(
            JOB_SPAN, kind=trace.SpanKind.CONSUMER, attributes=attributes
        ):
            yield
    finally:
        if token is not None:
            otel_context.detach(token)
