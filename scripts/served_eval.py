"""Issue 17's check through the API: `luna train` on the real check-ins before `luna eval`'s
test window, then NDCG@10 on that window as `GET /reco/venues/{user_id}` serves it.

    uv run python scripts/served_eval.py            # PostgreSQL at 127.0.0.1 (a scratch database)

What it does, end to end, as an operator would:

1. `luna import-checkins --before <test start>`: the check-ins before the test window as bulk
   files (homes and the catalog from those alone), then `luna import` into a scratch database;
2. `luna train` there (its own split of what it was given: the last 4 weeks measure, the 4
   before stop the trees, the rest is learned from);
3. `luna serve` twice with `LUNA_CLOCK` at the test start: the SPEC §3 heuristic, then
   `LUNA_VENUE_MODEL=learned`. Each person with a catalog visit in the test window is asked
   for 10 venues (all visits), and for 10 with `exclude_visited=true` (venues new to them);
4. beside them, computed offline for the same people from the same history: the
   recency-weighted frequency baseline ("where you went lately, most often first").

Prints NDCG@10 per model and variant, and the served learned ranker's gain over each other
model with a 95 % paired bootstrap interval over people; writes the figures as JSON.
"""

import argparse
import json
import os
import subprocess
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx2
import numpy as np
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from luna.auth.tokens import issue_token
from luna.bench.database import DEFAULT_ADMIN_URL, scratch_database
from luna.bench.server import Server, luna_command, run_import, server_env
from luna.config import Settings
from luna.learning.baselines import RecencyFrequency
from luna.learning.catalog import build_catalog
from luna.learning.checkins_import import convert_checkins, user_uuid, venue_uuid
from luna.learning.data import DEFAULT_CHECKINS, load_foursquare
from luna.learning.evaluate import EvalConfig
from luna.learning.metrics import ndcg_at, paired_bootstrap, top_k
from luna.learning.split import time_split
from luna.learning.windows import Window, build_window

ADMIN = uuid.UUID("00000000-0000-4000-8000-00000000e7a1")
VARIANTS = ("all", "new")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkins", type=Path, default=DEFAULT_CHECKINS)
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=Path("bench-results/served"))
    args = parser.parse_args()
    console = Console(width=150)  # the table is wide; a pipe would get 80 columns
    args.out.mkdir(parents=True, exist_ok=True)

    log = load_foursquare(args.checkins)
    config = EvalConfig()
    split = time_split(log, config.test_weeks, config.val_weeks)
    test_start = datetime.fromtimestamp(split.test.cutoff, UTC)
    catalog = build_catalog(log.before(split.test.cutoff))  # the venues the database will hold
    window = build_window(log, catalog, split.test, seed=args.seed)
    people = window.people
    console.print(
        f"test window {test_start:%Y-%m-%d} to "
        f"{datetime.fromtimestamp(split.test.end, UTC):%Y-%m-%d}: {len(people)} people, "
        f"{len(catalog)} catalog venues"
    )

    ndcg: dict[str, dict[str, list[float]]] = {"recency-weighted frequency (offline)": {}}
    recency = RecencyFrequency()
    for variant in VARIANTS:
        ndcg["recency-weighted frequency (offline)"][variant] = [
            ndcg_at(
                top_k(recency.scores(window, u), 10, _known(window, u, variant)).tolist(),
                _truth(window, u, variant),
                10,
            )
            for u in _people(window, variant)
        ]

    with (
        tempfile.TemporaryDirectory() as work,
        scratch_database("luna_served", args.admin_url) as url,
    ):
        files, model = Path(work) / "checkins", Path(work) / "venue_ranker.json"
        convert_checkins(args.checkins, files, before=test_start)
        env = server_env(url)
        run_import(files, env, args.out / "import.log")
        trained = subprocess.run(
            luna_command("train", "--out", str(model), "--seed", str(args.seed)),
            env=env,
            capture_output=True,
            text=True,
        )
        if trained.returncode != 0:
            raise SystemExit(
                f"luna train failed:\n{trained.stdout[-2000:]}{trained.stderr[-2000:]}"
            )
        (args.out / "train.log").write_text(trained.stdout)
        clock = {"LUNA_CLOCK": test_start.isoformat()}
        served = {
            "SPEC §3 heuristic (served)": clock,
            "learned ranker (served)": {
                **clock,
                "LUNA_VENUE_MODEL": "learned",
                "LUNA_VENUE_MODEL_PATH": str(model),
            },
        }
        for name, extra in served.items():
            ndcg[name] = _served_ndcg(
                window,
                log.user_keys,
                log.venue_keys,
                catalog.venues,
                {**env, **extra},
                args.out / f"{name.split()[0].lower()}.log",
                console,
                name,
            )

    _report(ndcg, args.seed, args.out, console)


def _people(window: Window, variant: str) -> list[int]:
    return [u for u in window.people if _truth(window, u, variant)]


def _truth(window: Window, user: int, variant: str) -> set[int]:
    return window.truth[user] if variant == "all" else window.new_truth(user)


def _known(window: Window, user: int, variant: str) -> np.ndarray | None:
    return None if variant == "all" else window.known[user]


def _served_ndcg(
    window: Window,
    user_keys: np.ndarray,
    venue_keys: np.ndarray,
    catalog_venues: np.ndarray,
    env: dict[str, str],
    log_path: Path,
    console: Console,
    name: str,
) -> dict[str, list[float]]:
    """NDCG@10 per person of each variant, in `_people` order, as the server answers."""
    position = {venue_uuid(venue_keys[code]): i for i, code in enumerate(catalog_venues.tolist())}
    token = issue_token(Settings(luna_jwt_secret=env["LUNA_JWT_SECRET"]), ADMIN, admin=True)
    server = Server(env, workers=1, log_path=log_path)
    server.start()
    try:
        results: dict[str, list[float]] = {}
        with (
            httpx2.Client(
                base_url=server.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60
            ) as client,
            Progress(console=console) as progress,
        ):
            for variant in VARIANTS:
                people = _people(window, variant)
                task = progress.add_task(f"{name}: {variant}", total=len(people))
                scores = []
                for user in people:
                    params = {"limit": 10, "exclude_visited": variant == "new"}
                    answer = client.get(f"/reco/venues/{user_uuid(user_keys[user])}", params=params)
                    answer.raise_for_status()
                    ranked = [position[uuid.UUID(r["venue_id"])] for r in answer.json()]
                    scores.append(ndcg_at(ranked, _truth(window, user, variant), 10))
                    progress.advance(task)
                results[variant] = scores
        return results
    finally:
        server.stop()


def _report(
    ndcg: dict[str, dict[str, list[float]]], seed: int, out: Path, console: Console
) -> None:
    learned = "learned ranker (served)"
    table = Table(title="NDCG@10 on the test window (people with a catalog visit in it)")
    table.add_column("model")
    for variant in VARIANTS:
        table.add_column(f"{variant}: NDCG@10", justify="right")
        table.add_column(f"{variant}: learned - model [95 % CI]", justify="right")
    figures: dict[str, dict] = {}
    for name, by_variant in ndcg.items():
        row, figures[name] = [name], {}
        for variant in VARIANTS:
            values = by_variant[variant]
            mean = float(np.mean(values))
            gain, low, high = paired_bootstrap(ndcg[learned][variant], values, seed)
            figures[name][variant] = {
                "ndcg@10": mean,
                "people": len(values),
                "learned_gain": [gain, low, high],
            }
            row += [
                f"{mean:.4f}",
                "·" if name == learned else f"{gain:+.4f} [{low:+.4f}, {high:+.4f}]",
            ]
        table.add_row(*row)
    console.print(table)
    (out / "served_eval.json").write_text(json.dumps(figures, indent=2) + "\n")
    console.print(f"Wrote {out / 'served_eval.json'}")


if __name__ == "__main__":
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    main()
