"""Deterministic synthetic worlds in the bulk format of SPEC §5, for benchmarks (issue 4).

A world is a city of neighbourhoods (NYC-ish coordinates): homes and venues cluster around
neighbourhood centres; venue popularity is Zipf-like; each person favours a few of the ten
categories and the venues near home; social edges lean towards people of the same
neighbourhood (never a self-edge, never the same pair twice). Some people have no home.

Everything is drawn from one seeded numpy generator in a fixed order and written without
timestamps in the gzip headers, so the same scale and seed give byte-identical files. The work
is vectorised and rows are formatted in chunks: S3 (4 million interactions, 2.5 million edges)
takes well under a minute.

    python -m luna.bench.synthetic S2 OUT_DIR [--seed 20261125] [--plain]
"""

import gzip
import io
import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from luna.bench import DEFAULT_SEED

# Bumped whenever the output for a given scale and seed changes (cache keys include it).
GENERATOR_VERSION = 1
CATEGORIES = (
    "bar",
    "cafe",
    "coffee-shop",
    "restaurant",
    "club",
    "museum",
    "park",
    "gallery",
    "jazz-club",
    "theater",
)
# Interactions happen over the 180 days before this instant (fixed: the output is deterministic).
END_EPOCH_SECONDS = 1_790_812_800  # 2026-10-01T00:00:00Z
SPAN_SECONDS = 180 * 86_400
# NYC-ish box for neighbourhood centres.
LAT_RANGE = (40.57, 40.88)
LNG_RANGE = (-74.03, -73.77)
NO_HOME_SHARE = 0.08
INTERACTION_KINDS = ("view", "interest", "like")
INTERACTION_KIND_SHARES = (0.70, 0.18, 0.12)
RELATIONSHIP_KINDS = ("friend", "mutual", "suggested")
RELATIONSHIP_KIND_SHARES = (0.5, 0.3, 0.2)
# Rows formatted per chunk (bounds memory at S3).
CHUNK_ROWS = 250_000
# A list of ids the benchmark drives requests with, written beside the CSV files.
SAMPLE_FILE = "bench_sample.json"
SAMPLE_SIZE = 2_000

FIRST_NAMES = (
    "Ana Ben Chloe Dev Ella Femi Gus Hana Ivan Jia Kofi Lena Mateo Nia Omar Priya Quinn Rosa "
    "Sam Tara Uma Vik Wen Xavi Yara Zoe"
).split()
LAST_NAMES = (
    "Díaz Okafor Martin Patel Rossi Kim Nguyen Cohen Silva Ito Novak Haddad Brown Garcia Lee "
    "Walker Mensah Costa Fischer Ahmed"
).split()
ADJECTIVES = "Blue Golden Little Velvet Corner Hidden Lucky Old New Quiet Bright Night".split()


@dataclass(frozen=True)
class Scale:
    name: str
    users: int
    venues: int
    interactions: int
    edges: int


SCALES = {
    scale.name: scale
    for scale in (
        Scale("tiny", 60, 20, 600, 300),
        Scale("S1", 1_000, 200, 20_000, 15_000),
        Scale("S2", 10_000, 2_000, 300_000, 200_000),
        Scale("S3", 100_000, 20_000, 4_000_000, 2_500_000),
    )
}


def get_scale(name: str) -> Scale:
    try:
        return SCALES[name]
    except KeyError:
        raise ValueError(f"unknown scale {name!r}: one of {', '.join(SCALES)}") from None


def generate(
    scale: Scale, directory: Path, seed: int = DEFAULT_SEED, compress: bool = True
) -> dict[str, int]:
    """Writes users, venues, social_edges and interactions (`.csv.gz`, or `.csv` when not
    `compress`) and the benchmark sample into `directory`; returns rows per file name."""
    if scale.edges > scale.users * (scale.users - 1):
        raise ValueError(f"{scale.name}: more edges than ordered pairs of distinct users")
    directory.mkdir(parents=True, exist_ok=True)
    world = _World(scale, np.random.default_rng(seed))
    suffix = ".csv.gz" if compress else ".csv"
    counts: dict[str, int] = {}
    for stem, header, chunks in (
        ("users", "id,handle,name,age,home_lat,home_lng", world.user_rows()),
        ("venues", "id,name,description,category,lat,lng,price_level,rating", world.venue_rows()),
        (
            "social_edges",
            "user_id,other_user_id,relationship_type,strength",
            world.edge_rows(),
        ),
        (
            "interactions",
            "user_id,venue_id,interaction_type,dwell_time_seconds,occurred_at",
            world.interaction_rows(),
        ),
    ):
        name = stem + suffix
        counts[name] = _write(directory / name, header, chunks, compress)
    (directory / SAMPLE_FILE).write_text(json.dumps(world.sample(), indent=1) + "\n")
    return counts


def load_sample(directory: Path) -> dict[str, list]:
    """The ids written by `generate` for driving requests (see `_World.sample`)."""
    return json.loads((directory / SAMPLE_FILE).read_text())


def _write(path: Path, header: str, chunks: Iterable[str], compress: bool) -> int:
    """Writes the header and the chunks (each a block of newline-terminated rows)."""
    tmp = path.with_name(path.name + ".partial")
    rows = 0
    with open(tmp, "wb") as raw:
        # mtime=0 and no file name in the header: the bytes depend on the content only.
        out: io.BufferedIOBase = (
            gzip.GzipFile(filename="", fileobj=raw, mode="wb", compresslevel=1, mtime=0)
            if compress
            else raw
        )
        out.write((header + "\n").encode())
        for chunk in chunks:
            out.write(chunk.encode())
            rows += chunk.count("\n")
        if compress:
            out.close()
    tmp.replace(path)
    return rows


def _uuids(rng: np.random.Generator, count: int) -> list[str]:
    """Version 4 UUIDs from the generator's bits (not from the OS: deterministic)."""
    raw = rng.integers(0, 256, size=(count, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    data = raw.tobytes()
    return [str(uuid.UUID(bytes=data[i : i + 16])) for i in range(0, 16 * count, 16)]


def _fixed(values: np.ndarray, decimals: int) -> list[str]:
    """Numbers as fixed-point text (vectorised formatting, then a list of str)."""
    return np.char.mod(f"%.{decimals}f", values).tolist()


def _join(columns: Sequence[Sequence[str]]) -> str:
    return "".join(",".join(row) + "\n" for row in zip(*columns, strict=True))


def _chunks(count: int) -> Iterator[slice]:
    for start in range(0, count, CHUNK_ROWS):
        yield slice(start, min(count, start + CHUNK_ROWS))


class _GroupSampler:
    """Draws members of a group (neighbourhood, category) with probability proportional to a
    weight, for many draws at once: members are sorted by group and one cumulative sum over
    all of them is searched within each draw's group range."""

    def __init__(self, groups: np.ndarray, weights: np.ndarray, group_count: int) -> None:
        self.order = np.argsort(groups, kind="stable")
        sorted_groups = groups[self.order]
        self.cum = np.concatenate(([0.0], np.cumsum(weights[self.order])))
        self.start = np.searchsorted(sorted_groups, np.arange(group_count), side="left")
        self.end = np.searchsorted(sorted_groups, np.arange(group_count), side="right")

    def nonempty(self, group: np.ndarray) -> np.ndarray:
        return self.end[group] > self.start[group]

    def draw(self, rng: np.random.Generator, group: np.ndarray) -> np.ndarray:
        """One member per entry of `group` (every group given must be non-empty)."""
        low = self.cum[self.start[group]]
        high = self.cum[self.end[group]]
        target = low + rng.random(len(group)) * (high - low)
        position = np.searchsorted(self.cum, target, side="right") - 1
        position = np.clip(position, self.start[group], self.end[group] - 1)
        return self.order[position]


class _World:
    """The whole world's numbers, drawn at construction in a fixed order; rows are formatted
    lazily, chunk by chunk."""

    def __init__(self, scale: Scale, rng: np.random.Generator) -> None:
        self.scale = scale
        self.rng = rng
        n_users, n_venues = scale.users, scale.venues
        n_categories = len(CATEGORIES)

        # Neighbourhoods: centres in the box, sizes Zipf-ish, spread 0.6 to 1.8 km.
        n_hoods = int(np.clip(round(np.sqrt(n_venues) / 2), 3, 80))
        self.hood_lat = rng.uniform(*LAT_RANGE, n_hoods)
        self.hood_lng = rng.uniform(*LNG_RANGE, n_hoods)
        hood_sigma_deg = rng.uniform(0.006, 0.016, n_hoods)
        hood_weight = 1.0 / np.arange(1, n_hoods + 1) ** 0.7
        hood_weight = rng.permutation(hood_weight / hood_weight.sum())
        # Each neighbourhood leans to some categories.
        hood_categories = rng.dirichlet(np.full(n_categories, 0.8), n_hoods)

        # Users.
        self.user_ids = _uuids(rng, n_users)
        self.user_hood = rng.choice(n_hoods, n_users, p=hood_weight)
        spread = hood_sigma_deg[self.user_hood][:, None] * rng.standard_normal((n_users, 2))
        self.home_lat = self.hood_lat[self.user_hood] + spread[:, 0]
        self.home_lng = self.hood_lng[self.user_hood] + spread[:, 1] * 1.3
        self.has_home = rng.random(n_users) >= NO_HOME_SHARE
        self.age = rng.integers(18, 76, n_users)
        self.has_age = rng.random(n_users) >= 0.15
        self.first = rng.integers(0, len(FIRST_NAMES), n_users)
        self.last = rng.integers(0, len(LAST_NAMES), n_users)
        # Two or three favourite categories each, drawn from the neighbourhood's leaning.
        favourites = np.empty((n_users, 3), dtype=np.int64)
        cum = np.cumsum(hood_categories[self.user_hood], axis=1)
        for k in range(3):
            favourites[:, k] = (cum < rng.random((n_users, 1))).sum(axis=1)
        self.favourites = np.minimum(favourites, n_categories - 1)
        self.favourite_count = rng.integers(2, 4, n_users)
        # Activity: a few people interact a lot (lognormal).
        activity = rng.lognormal(0.0, 1.0, n_users)
        self.activity = activity / activity.sum()
        sociability = rng.lognormal(0.0, 0.7, n_users)
        self.sociability = sociability / sociability.sum()

        # Venues.
        self.venue_ids = _uuids(rng, n_venues)
        self.venue_hood = rng.choice(n_hoods, n_venues, p=hood_weight)
        spread = hood_sigma_deg[self.venue_hood][:, None] * rng.standard_normal((n_venues, 2))
        self.venue_lat = self.hood_lat[self.venue_hood] + spread[:, 0]
        self.venue_lng = self.hood_lng[self.venue_hood] + spread[:, 1] * 1.3
        cum = np.cumsum(hood_categories[self.venue_hood], axis=1)
        self.venue_category = np.minimum(
            (cum < rng.random((n_venues, 1))).sum(axis=1), n_categories - 1
        )
        self.price_level = rng.choice(4, n_venues, p=(0.3, 0.4, 0.2, 0.1)) + 1
        self.has_price = rng.random(n_venues) >= 0.1
        self.rating = np.clip(rng.normal(4.0, 0.5, n_venues), 0.0, 5.0)
        self.has_rating = rng.random(n_venues) >= 0.1
        self.has_description = rng.random(n_venues) >= 0.3
        self.adjective = rng.integers(0, len(ADJECTIVES), n_venues)
        # Zipf-like popularity over a random ranking of the venues.
        self.popularity = rng.permutation(1.0 / np.arange(1, n_venues + 1) ** 1.0)

        self.edges = self._draw_edges()
        self.interactions = self._draw_interactions()

    def _draw_edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        rng, n_users, wanted = self.rng, self.scale.users, self.scale.edges
        by_hood = _GroupSampler(self.user_hood, np.ones(n_users), len(self.hood_lat))
        pair_keys = np.empty(0, dtype=np.int64)
        while True:
            draw = max(64, int((wanted - len(pair_keys)) * 1.3))
            source = rng.choice(n_users, draw, p=self.sociability)
            target = rng.integers(0, n_users, draw)
            local = rng.random(draw) < 0.75
            target[local] = by_hood.draw(rng, self.user_hood[source[local]])
            keys = source.astype(np.int64) * n_users + target
            keys = np.concatenate((pair_keys, keys[source != target]))
            # Keep each pair's first occurrence, in drawing order.
            _, first = np.unique(keys, return_index=True)
            pair_keys = keys[np.sort(first)]
            if len(pair_keys) >= wanted:
                pair_keys = pair_keys[:wanted]
                break
        kind = rng.choice(len(RELATIONSHIP_KINDS), wanted, p=RELATIONSHIP_KIND_SHARES)
        strength = np.where(
            kind == 0,
            rng.beta(5, 2, wanted),
            np.where(kind == 1, rng.beta(3, 3, wanted), rng.beta(2, 5, wanted)),
        )
        return pair_keys // n_users, pair_keys % n_users, kind, strength

    def _draw_interactions(self) -> tuple[np.ndarray, ...]:
        rng, count = self.rng, self.scale.interactions
        n_hoods, n_categories = len(self.hood_lat), len(CATEGORIES)
        user = rng.choice(self.scale.users, count, p=self.activity)
        # Where: near home (the own neighbourhood), a favourite category, or anywhere;
        # popular venues more often in each case.
        source = rng.choice(3, count, p=(0.45, 0.35, 0.20))
        venue = rng.choice(self.scale.venues, count, p=self.popularity / self.popularity.sum())
        by_hood = _GroupSampler(self.venue_hood, self.popularity, n_hoods)
        hood = self.user_hood[user]
        near = (source == 0) & by_hood.nonempty(hood)
        venue[near] = by_hood.draw(rng, hood[near])
        by_category = _GroupSampler(self.venue_category, self.popularity, n_categories)
        pick = rng.integers(0, 3, count) % self.favourite_count[user]
        category = self.favourites[user, pick]
        liked = (source == 1) & by_category.nonempty(category)
        venue[liked] = by_category.draw(rng, category[liked])

        kind = rng.choice(len(INTERACTION_KINDS), count, p=INTERACTION_KIND_SHARES)
        median_dwell = np.array((45.0, 240.0, 1800.0))[kind]
        dwell = np.clip(np.rint(median_dwell * rng.lognormal(0.0, 0.8, count)), 0, 86_400)
        dwell[rng.random(count) < 0.05] = 0
        occurred = END_EPOCH_SECONDS - rng.integers(0, SPAN_SECONDS, count)
        return user, venue, kind, dwell.astype(np.int64), occurred

    # Rows -------------------------------------------------------------------------------

    def user_rows(self) -> Iterator[str]:
        for part in _chunks(self.scale.users):
            index = np.arange(part.start, part.stop)
            home = self.has_home[part]
            lat = np.where(home, _fixed(self.home_lat[part], 6), "").tolist()
            lng = np.where(home, _fixed(self.home_lng[part], 6), "").tolist()
            age = np.where(self.has_age[part], self.age[part].astype(str), "").tolist()
            names = [
                f"{FIRST_NAMES[f]} {LAST_NAMES[s]}"
                for f, s in zip(self.first[part].tolist(), self.last[part].tolist(), strict=True)
            ]
            handles = [f"user{n}" for n in index.tolist()]
            yield _join((self.user_ids[part], handles, names, age, lat, lng))

    def venue_rows(self) -> Iterator[str]:
        for part in _chunks(self.scale.venues):
            index = np.arange(part.start, part.stop).tolist()
            category = [CATEGORIES[c] for c in self.venue_category[part].tolist()]
            names = [
                f"{ADJECTIVES[a]} {c.replace('-', ' ').title()} {n}"
                for a, c, n in zip(self.adjective[part].tolist(), category, index, strict=True)
            ]
            description = [
                f"A {c} in neighbourhood {h}" if d else ""
                for c, h, d in zip(
                    category,
                    self.venue_hood[part].tolist(),
                    self.has_description[part].tolist(),
                    strict=True,
                )
            ]
            price = np.where(self.has_price[part], self.price_level[part].astype(str), "")
            rating = np.where(self.has_rating[part], _fixed(self.rating[part], 1), "")
            yield _join(
                (
                    self.venue_ids[part],
                    names,
                    description,
                    category,
                    _fixed(self.venue_lat[part], 6),
                    _fixed(self.venue_lng[part], 6),
                    price.tolist(),
                    rating.tolist(),
                )
            )

    def edge_rows(self) -> Iterator[str]:
        source, target, kind, strength = self.edges
        ids = np.array(self.user_ids, dtype=object)
        kinds = np.array(RELATIONSHIP_KINDS, dtype=object)
        for part in _chunks(len(source)):
            yield _join(
                (
                    ids[source[part]].tolist(),
                    ids[target[part]].tolist(),
                    kinds[kind[part]].tolist(),
                    _fixed(strength[part], 3),
                )
            )

    def interaction_rows(self) -> Iterator[str]:
        user, venue, kind, dwell, occurred = self.interactions
        user_ids = np.array(self.user_ids, dtype=object)
        venue_ids = np.array(self.venue_ids, dtype=object)
        kinds = np.array(INTERACTION_KINDS, dtype=object)
        for part in _chunks(len(user)):
            when = np.datetime_as_string(occurred[part].astype("datetime64[s]"), unit="s")
            yield _join(
                (
                    user_ids[user[part]].tolist(),
                    venue_ids[venue[part]].tolist(),
                    kinds[kind[part]].tolist(),
                    dwell[part].astype(str).tolist(),
                    np.char.add(when, "Z").tolist(),
                )
            )

    def sample(self) -> dict[str, list]:
        """Ids to drive requests with: people (active ones more often, some without a home),
        each with a venue of their own neighbourhood for the people route."""
        rng = np.random.default_rng(self.scale.users)  # independent of the files' stream
        size = min(SAMPLE_SIZE, self.scale.users)
        users = rng.choice(self.scale.users, size, replace=False)
        by_hood = _GroupSampler(self.venue_hood, self.popularity, len(self.hood_lat))
        hood = self.user_hood[users]
        venues = rng.choice(self.scale.venues, size, p=self.popularity / self.popularity.sum())
        near = by_hood.nonempty(hood)
        venues[near] = by_hood.draw(rng, hood[near])
        return {
            "scale": asdict(self.scale),
            "user_ids": [self.user_ids[u] for u in users.tolist()],
            "venue_ids": [self.venue_ids[v] for v in venues.tolist()],
        }


def main(argv: Sequence[str] | None = None) -> None:
    import argparse
    import time

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scale", choices=list(SCALES))
    parser.add_argument("directory", type=Path)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--plain", action="store_true", help="write .csv instead of .csv.gz")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    counts = generate(get_scale(args.scale), args.directory, args.seed, not args.plain)
    for name, rows in counts.items():
        print(f"{name}: {rows:,} rows")
    print(f"generated in {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
