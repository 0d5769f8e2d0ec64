"""The demo web app (/app/, luna.webapp) in a real browser, offline: Debian's chromium driven
by Playwright against `luna serve --demo` walks the issue's whole path. Sign in as a demo
person (the demo-only sign-in: tokens signed with the development secret), see the venue
recommendations as markers and as a list with reasons and distances, filter them by a
category and by a mood, choose a venue and see who to go with, make a plan there, invite a
person, confirm it, and watch it reach `confirmed` with its timeline. No request leaves the
machine and the page's Content-Security-Policy refuses nothing. The last screen is saved as a
screenshot: into the test's temporary folder, or, with LUNA_UPDATE_SCREENSHOT=1, over
docs/demo-app.png (the README's screenshot), so that a test run leaves the checkout as it was.

Playwright cannot download its own browsers here, so it launches /usr/bin/chromium."""

import os
import re
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest

from luna.demo import DEMO_TOKEN_HANDLES
from tests.live import leaves_the_machine, luna_serve_demo

CHROMIUM = Path("/usr/bin/chromium")
DEMO_PERSON = "maya_reads"
SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "demo-app.png"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (apt-get install)"
)


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[str]:
    """`luna serve --demo` on a fresh SQLite database with the development secret."""
    with luna_serve_demo(tmp_path_factory.mktemp("demo-app")) as (base_url, _log):
        yield base_url


def test_app_serves_its_files_with_a_policy(served):
    assert httpx2.get(f"{served}/app").headers["location"].endswith("/app/")
    page = httpx2.get(f"{served}/app/")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "img-src 'self' data:;" in policy
    assert httpx2.get(f"{served}/app/config.json").json() == {
        "tiles_url": None,
        "demo_sign_in": True,
    }
    people = httpx2.get(f"{served}/app/demo-sign-in").json()
    assert [p["handle"] for p in people] == list(DEMO_TOKEN_HANDLES)


def test_the_whole_path_in_a_browser(served, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    requested: list[str] = []
    reached_network: list[str] = []
    refused: list[str] = []

    def stop_at_the_network(route):
        reached_network.append(route.request.url)
        route.abort("internetdisconnected")

    def console(message):
        if message.type == "error":
            refused.append(message.text)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            context = browser.new_context(viewport={"width": 1200, "height": 800})
            context.route(leaves_the_machine, stop_at_the_network)
            page = context.new_page()
            page.on("request", lambda request: requested.append(request.url))
            page.on("console", console)
            page.on("pageerror", lambda error: refused.append(str(error)))
            expect.set_options(timeout=30_000)

            # Sign in as a demo person.
            page.goto(f"{served}/app")
            page.locator(f'#demo-people button[data-handle="{DEMO_PERSON}"]').click()
            expect(page.locator("#me")).to_contain_text(f"@{DEMO_PERSON}")

            # Where to go: markers on the map, a list with reasons and distances.
            venues = page.locator("#venues > li[data-venue-id]")
            expect(venues.first).to_be_visible()
            count = venues.count()
            assert count > 1
            expect(page.locator("#map path.leaflet-interactive")).to_have_count(count + 1)  # +home
            expect(venues.first.locator(".reasons li").first).not_to_be_empty()
            assert re.search(r"\d+\.\d km", venues.first.locator(".meta").inner_text())

            # No tile server configured: markers on a plain background, no tiles.
            assert page.locator("#map .leaflet-tile").count() == 0

            # A distance filter: every venue shown is within it.
            page.fill("#filters input[name=max_distance_km]", "1.5")
            page.locator("#filters button[type=submit]").click()
            expect(venues).not_to_have_count(count)
            for meta in venues.locator(".meta").all_inner_texts():
                assert float(re.search(r"(\d+\.\d) km", meta).group(1)) <= 1.5
            page.fill("#filters input[name=max_distance_km]", "")

            # A category filter changes the list: every venue shown is of that category.
            first_category = venues.first.locator(".meta").inner_text().split(" · ")[0]
            other = next(
                option
                for option in page.locator("#categories option").all_inner_texts()
                if option not in ("any", first_category)
            )
            page.select_option("#categories", other)
            page.locator("#filters button[type=submit]").click()
            expect(venues.first.locator(".meta")).to_contain_text(other)
            for meta in venues.locator(".meta").all_inner_texts():
                assert meta.startswith(other)
            assert any(
                parse_qs(urlsplit(url).query).get("categories") == [other] for url in requested
            )

            # A mood: the vibes come from GET /vibes; every venue's first reason says how well
            # it fits (a near venue that fits a little can still lead: the blend halves its
            # score at worst), and a loud one is among them.
            page.select_option("#categories", "any")
            assert "loud" in page.locator("#mood option").all_inner_texts()
            page.select_option("#mood", "loud")
            page.locator("#filters button[type=submit]").click()
            expect(venues.first.locator(".reasons li").first).to_contain_text("(vibe ")
            first_reasons = [
                venue.locator(".reasons li").first.inner_text() for venue in venues.all()
            ]
            assert all(
                re.match(r"It is (only a little )?loud\b.*\(vibe \d\.\d\d\)\.$", reason)
                for reason in first_reasons
            ), first_reasons
            assert any(reason.startswith("It is loud") for reason in first_reasons), first_reasons
            assert any(parse_qs(urlsplit(url).query).get("vibe") == ["loud"] for url in requested)
            page.select_option("#mood", "auto")  # "my usual", for now
            page.locator("#filters button[type=submit]").click()
            expect(venues.first).to_be_visible()
            assert any(
                parse_qs(urlsplit(url).query).get("vibe") == ["auto"]
                and "at" in parse_qs(urlsplit(url).query)
                for url in requested
            )
            page.select_option("#mood", "any")
            page.select_option("#categories", other)
            page.locator("#filters button[type=submit]").click()
            expect(venues.first.locator(".meta")).to_contain_text(other)

            # Choose a venue: who to go with.
            venue_name = venues.first.locator(".name").inner_text().split(". ", 1)[1]
            venues.first.click()
            expect(page.locator("#venue-title")).to_have_text(venue_name)
            people = page.locator("#people li[data-user-id]")
            expect(people.first).to_be_visible()
            expect(people.first.locator(".meta").last).not_to_be_empty()  # why them

            # Make a plan, invite the first person suggested, confirm it.
            page.locator("#plan-form button[type=submit]").click()
            expect(page.locator("#plan-status")).to_have_text("pending")
            people.first.locator("button.invite").click()
            expect(people.first.locator("button.invite")).to_have_text("Invited")
            expect(page.locator("#participants li")).to_have_count(2)
            expect(page.locator("#participants")).to_contain_text("invited")
            page.locator("#confirm").click()
            expect(page.locator("#plan-status")).to_have_text("confirmed")
            timeline = page.locator("#timeline li")
            expect(timeline.filter(has_text="provider_call")).not_to_have_count(0)
            expect(timeline.filter(has_text="→ confirmed")).to_have_count(1)
            expect(page.locator("#error")).to_be_hidden()

            update = os.environ.get("LUNA_UPDATE_SCREENSHOT") == "1"
            shot = SCREENSHOT if update else tmp_path / SCREENSHOT.name
            page.screenshot(path=str(shot))
            assert shot.stat().st_size > 10_000  # a rendered page, not a blank one
        finally:
            browser.close()

    # Nothing left the machine, and the page's policy refused nothing.
    assert [url for url in requested if leaves_the_machine(url)] == []
    assert reached_network == []
    assert refused == []
    assert f"{served}/app/vendor/leaflet/leaflet.js" in requested


# A 1x1 transparent PNG: every tile of the local tile server.
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


class _Tiles(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(PIXEL)))
        self.end_headers()
        self.wfile.write(PIXEL)

    def log_message(self, *args):
        pass


def test_tiles_when_a_tile_server_is_configured(tmp_path):
    """LUNA_MAP_TILES_URL: the map asks that server for tiles, and the page's policy lets the
    images in (the server is another origin: another port of this machine)."""
    from playwright.sync_api import sync_playwright

    tiles = ThreadingHTTPServer(("127.0.0.1", 0), _Tiles)
    Thread(target=tiles.serve_forever, daemon=True).start()
    template = f"http://127.0.0.1:{tiles.server_port}/{{z}}/{{x}}/{{y}}.png"
    requested: list[str] = []
    errors: list[str] = []
    try:
        with luna_serve_demo(tmp_path, LUNA_MAP_TILES_URL=template) as (base_url, _log):
            policy = httpx2.get(f"{base_url}/app/").headers["content-security-policy"]
            assert f"img-src 'self' data: http://127.0.0.1:{tiles.server_port};" in policy
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
                try:
                    page = browser.new_page(viewport={"width": 1200, "height": 800})
                    page.route(leaves_the_machine, lambda route: route.abort())
                    page.on("request", lambda request: requested.append(request.url))
                    page.on(
                        "console", lambda m: errors.append(m.text) if m.type == "error" else None
                    )
                    page.goto(f"{base_url}/app/")
                    page.locator(f'#demo-people button[data-handle="{DEMO_PERSON}"]').click()
                    page.locator("#map img.leaflet-tile-loaded").first.wait_for(timeout=30_000)
                finally:
                    browser.close()
    finally:
        tiles.shutdown()
    assert any(url.startswith(f"http://127.0.0.1:{tiles.server_port}/") for url in requested)
    assert [url for url in requested if leaves_the_machine(url)] == []
    assert errors == []
