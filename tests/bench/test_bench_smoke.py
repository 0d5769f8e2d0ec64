"""`luna bench` end to end at the tiny scale (a smoke test: the figures mean nothing here).

It needs wrk and PostgreSQL: without wrk the test is skipped with the install hint, except
under CI (CI=true), where .ci/run installs wrk and a missing one is a failure.
"""

import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from luna.bench.routes import ROUTES
from luna.bench.wrk import INSTALL_HINT
from luna.cli import app as cli_app
from tests.conftest import postgres_admin_url


@pytest.fixture
def wrk() -> None:
    if shutil.which("wrk") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(INSTALL_HINT)
        pytest.skip(INSTALL_HINT)


def test_bench_runs_every_route_at_the_tiny_scale(
    wrk: None, postgres_url: str, tmp_path: Path
) -> None:
    # postgres_url: skips (or fails under CI) when PostgreSQL is unreachable.
    out = tmp_path / "results"
    result = CliRunner().invoke(
        cli_app,
        [
            "bench",
            "--scales",
            "tiny",
            "--duration",
            "1",
            "--warmup",
            "0",
            "--out",
            str(out),
            "--data-dir",
            str(tmp_path / "data"),
            "--admin-url",
            postgres_admin_url(),
        ],
    )
    assert result.exit_code == 0, result.output
    results = json.loads((out / "bench.json").read_text())
    tiny = results["scales"]["tiny"]
    assert tiny["import_seconds"] > 0
    assert len(tiny["worker_rss_bytes"]) == 2 and all(rss > 0 for rss in tiny["worker_rss_bytes"])
    # The server's configuration is part of the figures.
    assert tiny["postgresql"]["shared_buffers"].endswith(("kB", "MB", "GB"))
    assert int(tiny["postgresql"]["server_version"].split(".")[0]) >= 13
    measured = {(r["route"], r["mode"]): r for r in tiny["runs"]}
    for route in ROUTES:
        for mode in ("single", "concurrent"):
            run = measured[(route.key, mode)]
            assert run["requests_per_second"] > 0, run
            assert run["median_ms"] > 0, run
            assert sum(run["errors"].values()) == 0, run
    assert measured[("batch", "concurrent")]["items_per_second"] > 0
    png = out / "bench.png"
    assert png.read_bytes().startswith(b"\x89PNG")
