"""create_app(): routers, middleware, error handlers and what they share."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import CapacityLimiter
from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import Depends, FastAPI
from opentelemetry.sdk.trace import TracerProvider

from luna import __version__
from luna.abuse import BodySizeLimitMiddleware, WriteRateLimiter
from luna.agent.providers.registry import build_registry
from luna.agent.tasks import BookingQueue
from luna.agent.worker import InProcessRunner, booking_jobs_lifespan
from luna.auth.dependencies import get_current_caller
from luna.bookings.endpoints import router as bookings_router
from luna.config import Settings, get_settings
from luna.db import create_db_engine, create_session_factory
from luna.docs_ui import install_docs
from luna.errors import install_error_handlers
from luna.experiments.endpoints import router as experiments_router
from luna.experiments.serving import ExperimentRegistry, ExposureBuffer, experiments_lifespan
from luna.health.endpoints import router as health_router
from luna.heap import freeze_long_lived
from luna.interactions.endpoints import router as interactions_router
from luna.observability.logging import configure_logging
from luna.observability.metrics import install_metrics
from luna.observability.middleware import AccessLogMiddleware
from luna.observability.tracing import instrument_app, instrument_engine, tracer_provider_from
from luna.plans.endpoints import router as plans_router
from luna.reco.endpoints import plan_router as reco_plan_router
from luna.reco.endpoints import router as reco_router
from luna.reco.index import VenueIndex
from luna.social.endpoints import router as social_router
from luna.users.endpoints import router as users_router
from luna.venues.endpoints import router as venues_router
from luna.vibes.endpoints import router as vibes_router
from luna.webapp import install_webapp

logger = logging.getLogger(__name__)

DESCRIPTION = """
Luna tells a person **where to go** (venue recommendations), **who to go with** (people
recommendations) and, once the group agrees, **books it** (a plan becomes a booking).

Authenticate with `Authorization: Bearer <JWT>` (the **Authorize** button); `luna token
USER_ID` prints a token, and `luna serve` prints ready ones for the demo data.
"""

# Routers whose every route needs a caller (whose writes count toward their rate limit), by
# domain (no path of one overlaps another's, so the order does not change which route answers).
API_ROUTERS = (
    users_router,
    venues_router,
    interactions_router,
    social_router,
    reco_router,
    reco_plan_router,
    plans_router,
    bookings_router,
    experiments_router,
    vibes_router,
)
OPENAPI_TAGS = [
    {"name": name}
    for name in (
        "users",
        "venues",
        "interactions",
        "social graph",
        "recommendations",
        "plans",
        "bookings",
        "experiments",
        "vibes",
        "health",
    )
]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # The venue index (and the learned ranker's context) load in the background, so the
    # first recommendation does not wait for them; booking jobs run in-process
    # (luna/agent/worker.py).
    freeze_long_lived()  # luna.heap: full GC passes then skip the start-up heap
    app.state.venue_index.warm()
    if app.state.venue_ranker is not None:
        app.state.venue_ranker.warm(app.state.venue_index)
    async with booking_jobs_lifespan(app), experiments_lifespan(app):
        yield


def create_app(
    settings: Settings | None = None, *, tracer_provider: TracerProvider | None = None
) -> FastAPI:
    """The app; traced when OTEL_EXPORTER_OTLP_ENDPOINT is set or `tracer_provider` is given
    (tests), and with nothing instrumented otherwise (luna.observability.tracing)."""
    settings = settings or get_settings()
    tracer_provider = tracer_provider or tracer_provider_from(settings)
    configure_logging(settings)
    if not settings.luna_auth:
        logger.warning("authentication is OFF (LUNA_AUTH=off): every caller is an admin")
    app = FastAPI(
        title="Luna API",
        version=__version__,
        description=DESCRIPTION,
        redirect_slashes=False,
        lifespan=lifespan,
        openapi_tags=OPENAPI_TAGS,
        docs_url=None,  # luna.docs_ui serves /docs and /redoc with their files, no CDN
        redoc_url=None,
    )
    engine = create_db_engine(settings)
    app.state.settings = settings
    app.state.engine = engine
    app.state.tracer_provider = tracer_provider
    if tracer_provider is not None:
        instrument_engine(engine, tracer_provider)
    app.state.session_factory = create_session_factory(engine)
    app.state.hot_route_threads = CapacityLimiter(settings.luna_hot_route_threads)
    app.state.venue_index = VenueIndex(
        app.state.session_factory, settings.venue_index_refresh_seconds
    )
    # The learned venue ranker (LUNA_VENUE_MODEL=learned), loaded once; None: the heuristic.
    app.state.venue_ranker = None
    if settings.luna_venue_model == "learned":
        from luna.reco.learned import load_venue_ranker  # scipy, LightGBM: only when asked for

        app.state.venue_ranker = load_venue_ranker(settings, app.state.session_factory)
    # Experiments: the running ones in memory, the exposures buffered (luna.experiments).
    app.state.experiments = ExperimentRegistry(
        app.state.session_factory, settings.reco, settings.luna_experiments_refresh_seconds
    )
    app.state.exposure_buffer = ExposureBuffer(
        app.state.session_factory, settings.luna_experiments_buffer_max
    )
    app.state.providers = build_registry(settings, tracer_provider)
    app.state.booking_queue = BookingQueue(settings)
    app.state.booking_runner = InProcessRunner(app, settings, app.state.booking_queue)
    app.state.write_limiter = WriteRateLimiter(settings)
    install_error_handlers(app)
    install_docs(app)
    app.include_router(health_router)
    for router in API_ROUTERS:
        app.include_router(router, dependencies=[Depends(get_current_caller)])
    install_webapp(app, settings)  # the demo web app at /app/ (its mount goes last)
    metrics = install_metrics(app)
    # Outermost last: the request id exists before anything logs, and the access log sees
    # the final status, including the body-size 413.
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.luna_max_body_bytes)
    app.add_middleware(AccessLogMiddleware, metrics=metrics)
    app.add_middleware(CorrelationIdMiddleware, header_name="X-Request-ID")
    if tracer_provider is not None:
        instrument_app(app, tracer_provider)  # outermost: the request's span holds the rest
    return app
