"""The synthetic worlds of `luna bench` (issue 4): deterministic, exact sizes, a valid social
graph, clustered and skewed as described, and loadable by `luna import` on both databases."""

import csv
import gzip
import io
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from luna.bench import synthetic
from luna.cli import app as cli_app
from luna.config import get_settings

FILES = ("users", "venues", "social_edges", "interactions")


def read_rows(folder: Path, stem: str) -> list[dict[str, str]]:
    suffix = ".csv.gz" if (folder / f"{stem}.csv.gz").exists() else ".csv"
    raw = (folder / f"{stem}{suffix}").read_bytes()
    if suffix == ".csv.gz":
        raw = gzip.decompress(raw)
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8"))))


@pytest.fixture(scope="module")
def s1(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("s1")
    synthetic.generate(synthetic.SCALES["S1"], folder)
    return folder


def test_the_scales_are_those_of_the_issue() -> None:
    sizes = {
        name: (s.users, s.venues, s.interactions, s.edges) for name, s in synthetic.SCALES.items()
    }
    assert sizes["S1"] == (1_000, 200, 20_000, 15_000)
    assert sizes["S2"] == (10_000, 2_000, 300_000, 200_000)
    assert sizes["S3"] == (100_000, 20_000, 4_000_000, 2_500_000)
    assert "tiny" in sizes


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    tiny = synthetic.SCALES["tiny"]
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        synthetic.generate(tiny, tmp_path / name, seed=seed)
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted([*(f"{stem}.csv.gz" for stem in FILES), synthetic.SAMPLE_FILE])
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (tmp_path / "a" / "users.csv.gz").read_bytes() != (
        tmp_path / "c" / "users.csv.gz"
    ).read_bytes()


def test_plain_csv_has_the_same_content(tmp_path: Path) -> None:
    tiny = synthetic.SCALES["tiny"]
    synthetic.generate(tiny, tmp_path / "gz")
    synthetic.generate(tiny, tmp_path / "plain", compress=False)
    for stem in FILES:
        assert (
            gzip.decompress((tmp_path / "gz" / f"{stem}.csv.gz").read_bytes())
            == (tmp_path / "plain" / f"{stem}.csv").read_bytes()
        )


@pytest.mark.parametrize("name", ["tiny", "S1", "S2"])
def test_row_counts_are_exact(name: str, tmp_path: Path) -> None:
    scale = synthetic.SCALES[name]
    counts = synthetic.generate(scale, tmp_path)
    assert counts == {
        "users.csv.gz": scale.users,
        "venues.csv.gz": scale.venues,
        "social_edges.csv.gz": scale.edges,
        "interactions.csv.gz": scale.interactions,
    }
    for stem, expected in zip(
        FILES, (scale.users, scale.venues, scale.edges, scale.interactions), strict=True
    ):
        lines = gzip.decompress((tmp_path / f"{stem}.csv.gz").read_bytes()).count(b"\n")
        assert lines == expected + 1  # the header


def test_headers_are_those_of_the_bulk_format(s1: Path) -> None:
    headers = {
        stem: gzip.decompress((s1 / f"{stem}.csv.gz").read_bytes()).split(b"\n", 1)[0].decode()
        for stem in FILES
    }
    assert headers == {
        "users": "id,handle,name,age,home_lat,home_lng",
        "venues": "id,name,description,category,lat,lng,price_level,rating",
        "social_edges": "user_id,other_user_id,relationship_type,strength",
        "interactions": "user_id,venue_id,interaction_type,dwell_time_seconds,occurred_at",
    }


def test_edges_have_no_self_edge_and_no_repeated_pair(s1: Path) -> None:
    edges = read_rows(s1, "social_edges")
    pairs = [(e["user_id"], e["other_user_id"]) for e in edges]
    assert all(a != b for a, b in pairs)
    assert len(set(pairs)) == len(pairs)
    assert {e["relationship_type"] for e in edges} == {"friend", "mutual", "suggested"}
    assert all(0 <= float(e["strength"]) <= 1 for e in edges)


def test_ids_are_unique_and_references_resolve(s1: Path) -> None:
    users = {u["id"] for u in read_rows(s1, "users")}
    venues = {v["id"] for v in read_rows(s1, "venues")}
    assert len(users) == 1_000 and len(venues) == 200
    assert len({u["handle"].lower() for u in read_rows(s1, "users")}) == 1_000
    for edge in read_rows(s1, "social_edges"):
        assert edge["user_id"] in users and edge["other_user_id"] in users
    for interaction in read_rows(s1, "interactions"):
        assert interaction["user_id"] in users and interaction["venue_id"] in venues
    sample = synthetic.load_sample(s1)
    assert set(sample["user_ids"]) <= users and set(sample["venue_ids"]) <= venues


def test_the_world_looks_like_a_city(s1: Path) -> None:
    users = read_rows(s1, "users")
    venues = read_rows(s1, "venues")
    interactions = read_rows(s1, "interactions")
    homeless = sum(1 for u in users if not u["home_lat"])
    assert 0.03 * len(users) < homeless < 0.15 * len(users)
    assert all(bool(u["home_lat"]) == bool(u["home_lng"]) for u in users)
    homes = [(float(u["home_lat"]), float(u["home_lng"])) for u in users if u["home_lat"]]
    assert all(40.4 < lat < 41.0 and -74.2 < lng < -73.6 for lat, lng in homes)
    assert {v["category"] for v in venues} <= set(synthetic.CATEGORIES)
    assert len({v["category"] for v in venues}) >= 8
    assert {v["price_level"] for v in venues} <= {"", "1", "2", "3", "4"}
    assert all(v["rating"] == "" or 0 <= float(v["rating"]) <= 5 for v in venues)
    kinds = Counter(i["interaction_type"] for i in interactions)
    assert set(kinds) == {"view", "interest", "like"} and kinds["view"] > kinds["like"]
    assert all(0 <= int(i["dwell_time_seconds"]) <= 86_400 for i in interactions)
    # Zipf-like: the 10 % most visited venues get far more than 10 % of the visits.
    visits = sorted(Counter(i["venue_id"] for i in interactions).values(), reverse=True)
    assert sum(visits[:20]) > 0.3 * len(interactions)
    # People favour a few categories: a typical person's top category is well above 1/10.
    category = {v["id"]: v["category"] for v in venues}
    per_user: dict[str, Counter[str]] = {}
    for i in interactions:
        per_user.setdefault(i["user_id"], Counter())[category[i["venue_id"]]] += 1
    active = [c for c in per_user.values() if c.total() >= 20]
    top_share = sorted(c.most_common(1)[0][1] / c.total() for c in active)
    assert top_share[len(top_share) // 2] > 0.25


@pytest.fixture
def cli_database(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield db_url
    get_settings.cache_clear()


def test_luna_import_loads_a_tiny_world(cli_database: str, engine: Engine, tmp_path: Path) -> None:
    scale = synthetic.SCALES["tiny"]
    synthetic.generate(scale, tmp_path)
    result = CliRunner().invoke(cli_app, ["import", str(tmp_path)])
    assert result.exit_code == 0, result.output
    with engine.connect() as conn:
        counts = {
            table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("users", "venues", "social_edges", "interactions")
        }
    assert counts == {
        "users": scale.users,
        "venues": scale.venues,
        "social_edges": scale.edges,
        "interactions": scale.interactions,
    }
