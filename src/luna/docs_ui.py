"""/docs (Swagger UI) and /redoc (ReDoc) served with their files from Luna itself, so the
pages work on a machine without internet: FastAPI's own pages load them from a CDN.

The files come from the fastapi-offline package (its `static` folder: Swagger UI's bundle and
CSS, ReDoc's standalone bundle, a favicon), mounted at /docs/assets; the pages are FastAPI's
`get_swagger_ui_html` and `get_redoc_html` pointed at them (FastAPI's "Custom Docs UI Static
Assets (Self-Hosting)"). ReDoc's Google fonts are left out (`with_google_fonts=False`): it falls
back to the browser's sans-serif. Nothing the pages load leaves the machine
(tests/test_docs_browser.py watches every request a browser makes).

Licences: fastapi-offline is MIT; the files it ships are Swagger UI's (Apache-2.0) and ReDoc's
(MIT). An upgrade of the files is an upgrade of fastapi-offline's pin in pyproject.toml.
"""

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_URL = "/docs"
REDOC_URL = "/redoc"
ASSETS_URL = "/docs/assets"
ASSETS_DIR = Path(str(files("fastapi_offline") / "static"))

# The pages may load only from Luna itself: ReDoc's bundle shows Redocly's logo from a CDN (its
# side menu's "API docs by Redocly", no option turns it off), and the browser, told so, never
# asks for it. Inline scripts and styles: FastAPI's pages and both bundles use them; blob:
# workers: ReDoc's search.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "worker-src 'self' blob:",
        "connect-src 'self'",
    )
)
# Swagger UI: the Authorize dialog's token kept across reloads of /docs (the browser's local
# storage).
SWAGGER_UI_PARAMETERS = {"persistAuthorization": True}


def _offline(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return page


def install_docs(app: FastAPI) -> None:
    """The docs pages and their files; `app` made with docs_url=None and redoc_url=None."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-assets")

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            oauth2_redirect_url=None,  # bearer tokens only: no OAuth2 flow to come back from
            swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
        )
        return _offline(page)

    @app.get(REDOC_URL, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )
        return _offline(page)
