"""Tracing (luna.observability.tracing): the shape of a confirm's trace, request -> booking
job -> calls to the booking partner, on both databases; and nothing instrumented when off."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from luna.app import create_app
from luna.config import Settings
from luna.observability import tracing
from tests.factories import create_plan, create_user, create_venue
from tests.live import serve_in_thread
from tests.partner import PartnerState, partner_app

CONFIRM_ROUTE = "/plans/{plan_id}/confirm"


@pytest.fixture
def partner_url() -> Iterator[str]:
    with serve_in_thread(partner_app(PartnerState())) as url:
        yield url


def traced_settings(db_url: str, partner_url: str) -> Settings:
    return Settings(
        database_url=db_url,
        luna_env="test",
        luna_auth=False,
        luna_write_rate_limit="100000/minute",
        luna_default_provider="http",  # the booking partner, over httpx2
        luna_http_provider_url=partner_url,
        luna_booking_backoff_seconds=0,
    )


def confirm_traced(db_url: str, partner_url: str) -> tuple[list[ReadableSpan], str]:
    """Confirm a plan on a traced app; its finished spans, and the plan's id."""
    exporter = InMemorySpanExporter()
    provider = tracing.tracer_provider_from(
        traced_settings(db_url, partner_url), SimpleSpanProcessor(exporter)
    )
    app = create_app(traced_settings(db_url, partner_url), tracer_provider=provider)
    try:
        with TestClient(app) as client:
            organizer, venue = create_user(client), create_venue(client)
            plan = create_plan(client, organizer["id"], venue["id"])
            result = client.post(f"/plans/{plan['id']}/confirm").json()
            assert result["status"] == "confirmed", result
            assert result["booking"]["provider"] == "http"
            # The job's span ends just after its commit, which the confirm may see first.
            deadline = time.monotonic() + 10
            while not job_spans(exporter.get_finished_spans()):
                assert time.monotonic() < deadline, "no job span"
                time.sleep(0.02)
    finally:
        app.state.engine.dispose()
    return list(exporter.get_finished_spans()), plan["id"]


def job_spans(spans) -> list[ReadableSpan]:
    return [s for s in spans if s.name == tracing.JOB_SPAN]


def ancestors(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[ReadableSpan]:
    chain = []
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        chain.append(span)
    return chain


def test_one_trace_from_confirm_through_the_job_to_the_partner(db_url, partner_url):
    spans, plan_id = confirm_traced(db_url, partner_url)
    by_id = {s.context.span_id: s for s in spans}
    [request] = [
        s
        for s in spans
        if s.kind == SpanKind.SERVER and s.attributes.get("http.route") == CONFIRM_ROUTE
    ]
    trace_id = request.context.trace_id
    in_trace = [s for s in spans if s.context.trace_id == trace_id]

    [job] = job_spans(spans)
    assert job.context.trace_id == trace_id
    assert job.attributes["plan_id"] == plan_id
    assert request in ancestors(job, by_id)  # the job's parent chain leads to the request

    sql = [s for s in in_trace if s.instrumentation_scope.name.endswith("sqlalchemy")]
    assert any(request in ancestors(s, by_id) and job not in ancestors(s, by_id) for s in sql)
    assert any(job in ancestors(s, by_id) for s in sql)  # the job's own queries

    partner_calls = [s for s in in_trace if s.instrumentation_scope.name.endswith("httpx")]
    methods = sorted(s.attributes.get("http.request.method", s.name) for s in partner_calls)
    assert methods == ["GET", "POST"]  # availability, then the booking
    assert all(s.kind == SpanKind.CLIENT and job in ancestors(s, by_id) for s in partner_calls)


def test_without_the_traceparent_the_job_starts_a_trace_of_its_own(
    db_url, partner_url, monkeypatch
):
    """The check above can fail: a job queued without the request's traceparent is no
    child of it."""
    monkeypatch.setattr(tracing, "current_traceparent", lambda: None)
    spans, _ = confirm_traced(db_url, partner_url)
    [request] = [s for s in spans if s.attributes.get("http.route") == CONFIRM_ROUTE]
    [job] = job_spans(spans)
    assert job.parent is None
    assert job.context.trace_id != request.context.trace_id


def is_otel(listener) -> bool:
    function = getattr(listener, "__func__", listener)
    return getattr(function, "__module__", "").startswith("opentelemetry")


def assert_not_instrumented(app: FastAPI) -> None:
    assert app.state.tracer_provider is None
    assert not getattr(app, "_is_instrumented_by_opentelemetry", False)
    assert "build_middleware_stack" not in vars(app)  # the instrumentation's ASGI wrapper
    assert not any("opentelemetry" in m.cls.__module__ for m in app.user_middleware)
    engine = app.state.engine
    for dispatch, name in (
        (engine.dispatch, "before_cursor_execute"),
        (engine.dispatch, "after_cursor_execute"),
        (engine.pool.dispatch, "checkout"),
    ):
        assert not any(is_otel(listener) for listener in getattr(dispatch, name))


def test_nothing_is_instrumented_when_tracing_is_off(db_url, partner_url):
    """No OTEL_EXPORTER_OTLP_ENDPOINT: no ASGI wrapper, no SQL hooks, no httpx hooks, so
    requests, queries and partner calls run exactly the code they ran before tracing."""
    settings = traced_settings(db_url, partner_url)
    assert settings.otel_exporter_otlp_endpoint is None
    app = create_app(settings)
    try:
        assert_not_instrumented(app)
        http = app.state.providers.get("http").client
        assert not getattr(http, "_is_instrumented_by_opentelemetry", False)
        with TestClient(app) as client:  # and the confirm path works untraced
            organizer, venue = create_user(client), create_venue(client)
            plan = create_plan(client, organizer["id"], venue["id"])
            assert client.post(f"/plans/{plan['id']}/confirm").json()["status"] == "confirmed"
    finally:
        app.state.engine.dispose()


def test_the_otlp_endpoint_switches_tracing_on_with_a_global_provider():
    """In a process of its own: the global provider can be set only once per process."""
    code = """
from opentelemetry import trace
from luna.app import create_app
from luna.config import Settings
app = create_app(Settings(database_url="sqlite://", otel_exporter_otlp_endpoint="http://127.0.0.1:9"))
assert app.state.tracer_provider is trace.get_tracer_provider()
assert app._is_instrumented_by_opentelemetry
exporter = app.state.tracer_provider._active_span_processor._span_processors[0].span_exporter
print(exporter._endpoint)
"""
    env = {**os.environ, "OTEL_SERVICE_NAME": "luna-test"}
    env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "http://127.0.0.1:9/v1/traces"


def test_the_instrumentation_is_seen_by_these_checks(db_url, partner_url):
    """The same checks do see a traced app's hooks (so the test above can fail)."""
    provider = tracing.tracer_provider_from(
        traced_settings(db_url, partner_url), SimpleSpanProcessor(InMemorySpanExporter())
    )
    app = create_app(traced_settings(db_url, partner_url), tracer_provider=provider)
    try:
        with pytest.raises(AssertionError):
            assert_not_instrumented(app)
        dispatch = app.state.engine.dispatch
        assert any(is_otel(listener) for listener in dispatch.before_cursor_execute)
        assert app.state.providers.get("http").client._is_instrumented_by_opentelemetry
    finally:
        app.state.engine.dispose()
