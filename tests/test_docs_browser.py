"""/docs and /redoc in a real browser, offline: Debian's chromium driven by Playwright loads
Swagger UI from `luna serve` on the demo data, authorizes with a token `luna serve` printed,
and runs GET /reco/venues/{user_id} for a demo person with "Try it out" / "Execute". Every
request the browser makes is recorded, and one to any host but this machine fails the test
(it is also stopped before it leaves: the test never needs the network). ReDoc's bundle asks
for Redocly's logo on a CDN: the pages' Content-Security-Policy (luna.docs_ui) stops that one
inside the browser, and the test checks it did.

Playwright cannot download its own browsers here, so it launches /usr/bin/chromium
(`apt-get install chromium`; .ci/run installs it)."""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
import pytest

from luna.demo import user_id
from tests.live import leaves_the_machine, luna_serve_demo

CHROMIUM = Path("/usr/bin/chromium")
DEMO_PERSON = "maya_reads"
ROUTE = "/reco/venues/{user_id}"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (apt-get install)"
)


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[str, dict[str, str]]]:
    """`luna serve` on a fresh SQLite database with the demo data: (base URL, the ready
    tokens it printed by who they speak for)."""
    folder = tmp_path_factory.mktemp("docs-browser")
    with luna_serve_demo(folder) as (base_url, log_path):
        tokens = dict(re.findall(r"^\s+(\w+): (\S+\.\S+\.\S+)$", log_path.read_text(), re.M))
        assert DEMO_PERSON in tokens, log_path.read_text()
        yield base_url, tokens


@dataclass
class Traffic:
    """What a page asked for: every request's URL (page.on("request")), those the page's
    Content-Security-Policy stopped inside the browser, and those that got as far as the
    network for another host (aborted there: they never leave)."""

    requested: list[str] = field(default_factory=list)
    blocked_by_policy: list[str] = field(default_factory=list)
    reached_network: list[str] = field(default_factory=list)

    def external(self) -> list[str]:
        return [url for url in self.requested if leaves_the_machine(url)]


@pytest.fixture
def browser_page():
    """A Chromium page and a record of its traffic."""
    from playwright.sync_api import sync_playwright

    traffic = Traffic()

    def stop_at_the_network(route):
        traffic.reached_network.append(route.request.url)
        route.abort("internetdisconnected")

    def failed(request):
        if request.failure in ("csp", "net::ERR_BLOCKED_BY_CSP"):
            traffic.blocked_by_policy.append(request.url)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            context = browser.new_context()
            context.route(leaves_the_machine, stop_at_the_network)
            page = context.new_page()
            page.on("request", lambda request: traffic.requested.append(request.url))
            page.on("requestfailed", failed)
            yield page, traffic
        finally:
            browser.close()


def test_swagger_ui_authorizes_and_runs_a_recommendation_offline(served, browser_page):
    base_url, tokens = served
    page, traffic = browser_page
    person = str(user_id(DEMO_PERSON))

    page.goto(f"{base_url}/docs")
    # The operations are listed, from /openapi.json.
    operation = page.locator(".opblock", has=page.locator(f'[data-path="{ROUTE}"]')).first
    operation.wait_for(timeout=30_000)
    assert page.locator(".opblock").count() > 20

    # Authorize with the demo person's token (HTTPBearer).
    page.locator("button.btn.authorize").first.click()
    dialog = page.locator(".modal-ux")
    dialog.locator("input").first.fill(tokens[DEMO_PERSON])
    dialog.locator("button.modal-btn.auth.authorize").click()
    dialog.locator("button.btn-done").click()

    # Try it out -> user_id -> Execute.
    operation.locator(".opblock-summary").first.click()
    operation.locator("button.try-out__btn").click()
    operation.locator('[data-param-name="user_id"] input').fill(person)
    operation.locator("button.execute").click()
    live = operation.locator(".live-responses-table tr.response")
    live.locator(".response-col_status").wait_for(timeout=30_000)
    status = live.locator(".response-col_status").inner_text().strip()
    shown = live.locator(".response-col_description pre").first.inner_text()

    assert status == "200", shown
    expected = httpx2.get(
        f"{base_url}/reco/venues/{person}",
        headers={"Authorization": f"Bearer {tokens[DEMO_PERSON]}"},
    ).json()
    assert expected, "the demo person has no recommendation"
    assert json.loads(shown) == expected  # what the browser shows is the API's answer
    assert expected[0]["venue_name"] in shown
    # The request Swagger UI sent carried the token.
    assert any(url.startswith(f"{base_url}/reco/venues/{person}") for url in traffic.requested)

    # Swagger UI asks for nothing but Luna's own files and API.
    assert traffic.external() == []
    assert traffic.reached_network == []
    assert f"{base_url}/docs/assets/swagger-ui-bundle.js" in traffic.requested


def test_redoc_renders_offline(served, browser_page):
    base_url, _ = served
    page, traffic = browser_page

    page.goto(f"{base_url}/redoc")
    page.get_by_role("heading", name=re.compile("Luna API")).first.wait_for(timeout=30_000)
    page.locator(f'text="{ROUTE}"').first.wait_for(timeout=30_000)

    # ReDoc's bundle asks for Redocly's logo on a CDN; the page's Content-Security-Policy
    # stops it in the browser. Nothing got as far as the network.
    assert set(traffic.external()) <= set(traffic.blocked_by_policy)
    assert traffic.reached_network == []
    assert f"{base_url}/docs/assets/redoc.standalone.js" in traffic.requested
