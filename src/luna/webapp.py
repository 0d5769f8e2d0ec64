"""The demo web app at /app/: static files shipped in the package (src/luna/static/app: HTML,
CSS, ES modules and a vendored Leaflet 1.9.4, BSD-2-Clause), no CDN and no build step.

It talks to the API like any client (bearer tokens). Two small routes beside the files:

- `GET /app/config.json`: what the page needs to know, the map's tile URL template
  (LUNA_MAP_TILES_URL; null: markers on a plain background) and whether the demo sign-in
  below exists.
- `GET /app/demo-sign-in`: ready tokens for the demo people (luna.demo.DEMO_TOKEN_HANDLES)
  present in the database. Registered only when tokens are signed with the well-known
  development secret (no LUNA_JWT_SECRET, LUNA_ENV not production), the same rule as the
  ready tokens `luna serve` prints: anyone can mint those tokens anyway, and a token signed
  with a real secret is never handed out. Otherwise the page asks for a pasted token.

Every file under /app/ carries a Content-Security-Policy: the page loads only from Luna,
plus the tile server's images when one is configured.
"""

import uuid
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

from luna.auth.tokens import issue_token
from luna.config import Settings
from luna.db import SessionDep
from luna.errors import NotFound
from luna.users import repository as user_repository

APP_URL = "/app"
STATIC_DIR = Path(__file__).parent / "static" / "app"


def tile_source(tiles_url: str | None) -> str | None:
    """The CSP source of a tile URL template's host: `https://{s}.tile.example.org/{z}/...`
    gives `https://*.tile.example.org`."""
    if not tiles_url:
        return None
    parts = urlsplit(tiles_url.replace("{s}", "*"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(settings: Settings) -> str:
    images = ["'self'", "data:"]
    tiles = tile_source(settings.luna_map_tiles_url)
    if tiles:
        images.append(tiles)
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {' '.join(images)}",
            "connect-src 'self'",
            "frame-ancestors 'none'",
        )
    )


def demo_sign_in_enabled(settings: Settings) -> bool:
    """Tokens may be handed out: they are signed with the public development secret."""
    return settings.luna_jwt_secret is None and settings.luna_env != "production"


class _PolicedFiles(StaticFiles):
    def __init__(self, *, policy: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.policy = policy

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["Content-Security-Policy"] = self.policy
        return response


def install_webapp(app: FastAPI, settings: Settings) -> None:
    """/app/ and its two routes; call after the API routers (the mount goes last)."""
    policy = content_security_policy(settings)
    demo = demo_sign_in_enabled(settings)

    @app.get(APP_URL, include_in_schema=False)
    async def app_root(request: Request) -> RedirectResponse:
        return RedirectResponse(f"{request.scope.get('root_path', '')}{APP_URL}/")

    @app.get(f"{APP_URL}/config.json", include_in_schema=False)
    async def app_config() -> JSONResponse:
        return JSONResponse(
            {"tiles_url": settings.luna_map_tiles_url, "demo_sign_in": demo},
            headers={"Cache-Control": "no-store"},
        )

    if demo:

        @app.get(f"{APP_URL}/demo-sign-in", include_in_schema=False)
        def demo_sign_in(session: SessionDep) -> JSONResponse:
            from luna.demo import DEMO_TOKEN_HANDLES, user_id

            found = user_repository.get_many(session, {user_id(h) for h in DEMO_TOKEN_HANDLES})
            by_handle = {user.handle: user for user in found}
            people = [
                _ready(settings, user.id, user.handle, user.name)
                for handle in DEMO_TOKEN_HANDLES
                if (user := by_handle.get(handle)) is not None
            ]
            if not people:
                raise NotFound("The demo data set is not loaded")
            return JSONResponse(people, headers={"Cache-Control": "no-store"})

    app.mount(APP_URL, _PolicedFiles(policy=policy, directory=STATIC_DIR, html=True), name="webapp")


def _ready(settings: Settings, user_id: uuid.UUID, handle: str, name: str) -> dict[str, str]:
    return {
        "user_id": str(user_id),
        "handle": handle,
        "name": name,
        "token": issue_token(settings, user_id),
    }
