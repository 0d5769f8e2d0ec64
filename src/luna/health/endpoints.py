from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from luna.migrate import is_at_head
from luna.routing import LunaRouter

router = LunaRouter(prefix="/health", tags=["health"])

SERVICE_NAME = "Luna API Service"


class Health(BaseModel):
    status: str
    service: str
    database: str


class Liveness(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    database: str
    migrations: str


def database_reachable(engine: Engine) -> bool:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError:
        return False


@router.get(
    "/",
    response_model=Health,
    responses={503: {"model": Health, "description": "The database cannot be reached"}},
)
def health(request: Request) -> object:
    """The service and the reachability of its database (public)."""
    if database_reachable(request.app.state.engine):
        return Health(status="healthy", service=SERVICE_NAME, database="ok")
    body = Health(status="unhealthy", service=SERVICE_NAME, database="unreachable")
    return JSONResponse(status_code=503, content=body.model_dump())


# async: it waits for nothing, and a plain def would take two worker-thread hops (the
# endpoint, then its response validation), about half its CPU.
@router.get("/live", response_model=Liveness)
async def live() -> Liveness:
    """The process answers: restart it if this fails (touches no dependency)."""
    return Liveness(status="alive")


@router.get(
    "/ready",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Not ready to take traffic"}},
)
def ready(request: Request) -> object:
    """Send traffic here only when the database answers and its schema is at the latest
    migration."""
    engine = request.app.state.engine
    if not database_reachable(engine):
        body = Readiness(status="not ready", database="unreachable", migrations="unknown")
        return JSONResponse(status_code=503, content=body.model_dump())
    try:
        at_head = is_at_head(engine)
    except SQLAlchemyError:
        at_head = False
    if not at_head:
        body = Readiness(status="not ready", database="ok", migrations="behind")
        return JSONResponse(status_code=503, content=body.model_dump())
    return Readiness(status="ready", database="ok", migrations="head")
