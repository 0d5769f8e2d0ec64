from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from luna.routing import LunaRouter

router = LunaRouter(prefix="/health", tags=["health"])

SERVICE_NAME = "Luna API Service"


class Health(BaseModel):
    status: str
    service: str
    database: str


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
    """Liveness of the service and reachability of its database."""
    if database_reachable(request.app.state.engine):
        return Health(status="healthy", service=SERVICE_NAME, database="ok")
    body = Health(status="unhealthy", service=SERVICE_NAME, database="unreachable")
    return JSONResponse(status_code=503, content=body.model_dump())
