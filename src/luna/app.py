"""create_app(): routers, error handlers and what they share (engine, settings, providers)."""

import logging

from fastapi import FastAPI

from luna import __version__
from luna.agent.providers.registry import build_registry
from luna.bookings.endpoints import router as bookings_router
from luna.config import Settings, get_settings
from luna.db import create_db_engine, create_session_factory
from luna.errors import install_error_handlers
from luna.health.endpoints import router as health_router
from luna.interactions.endpoints import router as interactions_router
from luna.plans.endpoints import router as plans_router
from luna.reco.endpoints import router as reco_router
from luna.social.endpoints import router as social_router
from luna.users.endpoints import router as users_router
from luna.venues.endpoints import router as venues_router

DESCRIPTION = """
Luna tells a person **where to go** (venue recommendations), **who to go with** (people
recommendations) and, once the group agrees, **books it** (a plan becomes a booking).
"""

ROUTERS = (
    health_router,
    users_router,
    venues_router,
    interactions_router,
    social_router,
    reco_router,
    plans_router,
    bookings_router,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    logging.basicConfig(level=settings.log_level)
    app = FastAPI(
        title="Luna API",
        version=__version__,
        description=DESCRIPTION,
        redirect_slashes=False,
    )
    engine = create_db_engine(settings)
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = create_session_factory(engine)
    app.state.providers = build_registry(settings)
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    return app
