"""Who is calling. Every route except health and docs depends on `CurrentCaller` (the API
routers require it of every route, see `luna.app`).

With authentication on (the default), the caller is read from `Authorization: Bearer <JWT>`
through FastAPI's `HTTPBearer`, which also declares the scheme in the OpenAPI document (the
Authorize button of /docs); missing, expired or forged tokens are a 401. With LUNA_AUTH=off
every caller is an anonymous developer with admin rights. A caller's writes count toward their
rate limit (`luna.abuse.WriteRateLimiter`) as they are identified.
"""

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from luna.auth.tokens import InvalidToken, decode_token
from luna.config import Settings
from luna.errors import Forbidden, Unauthorized

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Caller:
    user_id: uuid.UUID | None
    is_admin: bool

    def is_user(self, user_id: uuid.UUID) -> bool:
        return self.user_id == user_id

    def ensure_self(self, user_id: uuid.UUID) -> None:
        """A user acts only as themselves; admins may act for anyone."""
        if not self.is_admin and self.user_id != user_id:
            raise Forbidden("You can only act as yourself")

    def ensure_admin(self) -> None:
        if not self.is_admin:
            raise Forbidden("Admins only")

    def scope_to_self(self, user_id: uuid.UUID | None) -> uuid.UUID | None:
        """A list filter: users see only their own rows (by default, and when they ask);
        admins see what they ask for."""
        if self.is_admin:
            return user_id
        self.ensure_self(user_id or self.user_id)  # type: ignore[arg-type]
        return self.user_id

    def own_profile_id(self, requested: uuid.UUID | None) -> uuid.UUID | None:
        """With authentication on, a user creates only their own profile: its id is the
        token's `sub`. Admins (and LUNA_AUTH=off) may create any user."""
        if self.is_admin:
            return requested
        if requested is not None and requested != self.user_id:
            raise Forbidden("You can only create your own profile")
        return self.user_id


ANONYMOUS_DEVELOPER = Caller(user_id=None, is_admin=True)

# auto_error=False: a missing or non-bearer header gives None, and `_authenticate` answers
# Luna's own 401 (with WWW-Authenticate) or, with LUNA_AUTH=off, lets the caller in.
bearer_scheme = HTTPBearer(
    auto_error=False,
    description="A JWT signed with LUNA_JWT_SECRET (HS256); `luna token USER_ID` prints one.",
)


async def get_current_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Caller:
    token = credentials.credentials if credentials is not None else None
    caller = _authenticate(request.app.state.settings, token)
    if request.method in WRITE_METHODS:
        request.app.state.write_limiter.count_write(request, caller)
    return caller


def _authenticate(settings: Settings, token: str | None) -> Caller:
    if not settings.luna_auth:
        return ANONYMOUS_DEVELOPER
    if token is None:
        raise Unauthorized("Not authenticated")
    try:
        claims = decode_token(settings, token)
    except InvalidToken as exc:
        raise Unauthorized(str(exc)) from exc
    return Caller(user_id=claims.user_id, is_admin=claims.is_admin)


CurrentCaller = Annotated[Caller, Depends(get_current_caller)]


async def caller_acting_as_path_user(user_id: uuid.UUID, caller: CurrentCaller) -> Caller:
    """For routes under /users/{user_id}/… and /reco/…/{user_id}: only that user (or an admin)."""
    caller.ensure_self(user_id)
    return caller


async def admin_caller(caller: CurrentCaller) -> Caller:
    caller.ensure_admin()
    return caller


PathUserCaller = Annotated[Caller, Depends(caller_acting_as_path_user)]
AdminCaller = Annotated[Caller, Depends(admin_caller)]
