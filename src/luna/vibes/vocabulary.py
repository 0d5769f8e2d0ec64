"""The vibe vocabulary and the category -> vibe prior map, written down before any learning.

The prior map seeds the learner (`luna.vibes.learner`): a venue whose category is listed
starts from these numbers, and its behaviour (when people go, how long they stay, with how
many, whether they come back, who else they visit) moves it from there. A venue without a
known category gets its profile from behaviour alone.

The map was written from what the categories mean, once, before the Recovery evaluation
(`luna eval --vibes`) ran; it is not tuned on its test venues. The categories that *define*
a vibe, the truth of that evaluation, are those listed with at least DEFINING_PRIOR.
Categories are Luna's (lower-case words joined by hyphens; Foursquare's names go through
`luna.learning.catalog.luna_category`).
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Vibe:
    name: str
    description: str


VIBES: tuple[Vibe, ...] = (
    Vibe("chill", "Unhurried and quiet: somewhere to sit, read, talk or do nothing much."),
    Vibe("lively", "Busy and buzzing: a crowd, a bit of noise, things going on."),
    Vibe("loud", "Music up, voices raised: concerts, clubs, games, cheering."),
    Vibe("romantic", "For two: candle-light, a view, a long dinner, a show."),
    Vibe("cosy", "Small and warm: a corner table, something hot, somewhere to linger."),
    Vibe("outdoorsy", "Under the sky: parks, gardens, waterfronts, open-air markets."),
    Vibe("late-night", "Open and at its best after dark, until the small hours."),
    Vibe("family", "Good with children: space to run, things to see, easy food."),
)
VIBE_NAMES: tuple[str, ...] = tuple(v.name for v in VIBES)
VIBE_INDEX: dict[str, int] = {name: i for i, name in enumerate(VIBE_NAMES)}
# The learner's output format (scores in VIBE_NAMES order, a peak code): stored with each
# version; serving reads only versions of this format and vocabulary.
FORMAT_VERSION = 1
# `vibe=auto`: the person's usual vibe at the asked moment (luna.vibes.service.auto_vibe).
AUTO = "auto"
# A category defines a vibe (the Recovery evaluation's truth) from this prior on.
DEFINING_PRIOR = 0.7

# vibe -> {category: prior in [0, 1]}; a category not listed under a vibe has prior 0 for it.
VIBE_CATEGORIES: dict[str, dict[str, float]] = {
    "chill": {
        "coffee-shop": 0.8, "cafe": 0.8, "tea-room": 1.0, "bookstore": 0.9, "spa-massage": 1.0,
        "garden": 0.8, "park": 0.6, "sculpture-garden": 0.8, "art-gallery": 0.7,
        "art-museum": 0.6, "museum": 0.5, "scenic-lookout": 0.7, "beach": 0.7, "bakery": 0.5,
        "library": 0.9, "harbor-marina": 0.6, "salad-place": 0.4, "vegetarian-vegan-restaurant":
        0.4, "public-art": 0.5,
    },
    "lively": {
        "bar": 0.7, "beer-garden": 1.0, "brewery": 0.8, "gastropub": 0.7, "market": 0.8,
        "flea-market": 0.8, "fair": 1.0, "plaza": 0.7, "stadium": 0.8, "college-stadium": 0.8,
        "tapas-restaurant": 0.7, "food-truck": 0.6, "bowling-alley": 0.7, "arcade": 0.6,
        "comedy-club": 0.8, "event-space": 0.7, "nightlife-spot": 0.8, "other-nightlife": 0.8,
        "music-venue": 0.8, "mexican-restaurant": 0.5, "wings-joint": 0.5, "bbq-joint": 0.5,
        "dim-sum-restaurant": 0.6, "korean-restaurant": 0.5, "casino": 0.7, "racetrack": 0.7,
    },
    "loud": {
        "nightlife-spot": 1.0, "other-nightlife": 1.0, "music-venue": 1.0, "concert-hall": 0.7,
        "stadium": 1.0, "college-stadium": 1.0, "racetrack": 1.0, "arcade": 0.8, "bar": 0.7,
        "casino": 0.8, "comedy-club": 0.6, "bowling-alley": 0.7, "beer-garden": 0.6,
        "event-space": 0.6, "wings-joint": 0.4, "pool-hall": 0.5,
    },
    "romantic": {
        "winery": 1.0, "french-restaurant": 1.0, "molecular-gastronomy-restaurant": 1.0,
        "italian-restaurant": 0.7, "tapas-restaurant": 0.7, "spanish-restaurant": 0.6,
        "scenic-lookout": 0.9, "garden": 0.7, "sculpture-garden": 0.7, "harbor-marina": 0.7,
        "performing-arts-venue": 0.7, "theater": 0.7, "concert-hall": 0.6, "sushi-restaurant":
        0.6, "mediterranean-restaurant": 0.6, "steakhouse": 0.6, "dessert-shop": 0.5,
        "beach": 0.6, "art-gallery": 0.5, "spa-massage": 0.5, "moroccan-restaurant": 0.5,
        "greek-restaurant": 0.5, "restaurant": 0.4,
    },
    "cosy": {
        "cafe": 1.0, "coffee-shop": 0.8, "tea-room": 1.0, "bakery": 0.9, "bookstore": 1.0,
        "diner": 0.7, "ramen-noodle-house": 0.8, "soup-place": 0.9, "donut-shop": 0.6,
        "dessert-shop": 0.7, "cupcake-shop": 0.7, "gastropub": 0.6, "bagel-shop": 0.6,
        "breakfast-spot": 0.8, "dumpling-restaurant": 0.6, "gaming-cafe": 0.6,
        "eastern-european-restaurant": 0.5, "swiss-restaurant": 0.6,
    },
    "outdoorsy": {
        "park": 1.0, "garden": 1.0, "beach": 1.0, "campground": 1.0, "playground": 0.8,
        "scenic-lookout": 1.0, "other-great-outdoors": 1.0, "outdoors-and-recreation": 1.0,
        "harbor-marina": 1.0, "plaza": 0.8, "beer-garden": 0.7, "zoo": 0.8,
        "sculpture-garden": 0.8, "ski-area": 1.0, "athletic-and-sport": 0.7, "pool": 0.6,
        "historic-site": 0.6, "flea-market": 0.6, "market": 0.5, "fair": 0.7,
        "food-truck": 0.5, "public-art": 0.7, "racetrack": 0.5, "stadium": 0.5,
    },
    "late-night": {
        "nightlife-spot": 1.0, "other-nightlife": 1.0, "bar": 0.9, "music-venue": 0.8,
        "comedy-club": 0.7, "diner": 0.6, "casino": 0.8, "pool-hall": 0.7, "distillery": 0.5,
        "brewery": 0.6, "gastropub": 0.6, "pizza-place": 0.5, "hot-dog-joint": 0.5,
        "fast-food-restaurant": 0.4, "event-space": 0.5, "beer-garden": 0.5,
    },
    "family": {
        "playground": 1.0, "zoo": 1.0, "aquarium": 1.0, "science-museum": 1.0,
        "planetarium": 0.9, "museum": 0.7, "history-museum": 0.7, "ice-cream-shop": 0.9,
        "candy-store": 0.9, "cupcake-shop": 0.7, "donut-shop": 0.6, "park": 0.7,
        "bowling-alley": 0.7, "arcade": 0.6, "pizza-place": 0.7, "fast-food-restaurant": 0.6,
        "burger-joint": 0.6, "mac-and-cheese-joint": 0.7, "movie-theater": 0.7, "cinema": 0.7,
        "fair": 0.8, "beach": 0.7, "diner": 0.6, "pool": 0.6, "fried-chicken-joint": 0.5,
    },
}  # fmt: skip
assert set(VIBE_CATEGORIES) == set(VIBE_NAMES)


def category_prior(category: str | None) -> np.ndarray | None:
    """The prior vibe profile of a category (in VIBE_NAMES order): zeros for a category the
    map does not list, None for no category (unknown: behaviour alone decides)."""
    if not category:
        return None
    return np.array(
        [VIBE_CATEGORIES[vibe].get(category, 0.0) for vibe in VIBE_NAMES], dtype=np.float64
    )


def prior_matrix(categories: list[str | None]) -> tuple[np.ndarray, np.ndarray]:
    """Per venue, its category's prior (zeros where none) and whether its category is known."""
    cache: dict[str, np.ndarray] = {}
    priors = np.zeros((len(categories), len(VIBE_NAMES)), dtype=np.float64)
    known = np.zeros(len(categories), dtype=bool)
    for i, category in enumerate(categories):
        if not category:
            continue
        if category not in cache:
            cache[category] = category_prior(category)  # type: ignore[assignment]
        priors[i], known[i] = cache[category], True
    return priors, known


def defining(category: str | None, vibe: str) -> bool:
    """Whether `category` defines `vibe` (the Recovery evaluation's truth)."""
    prior = category_prior(category)
    return prior is not None and bool(prior[VIBE_INDEX[vibe]] >= DEFINING_PRIOR)


def unknown_vibe_message(names: list[str]) -> str:
    return (
        f"unknown vibe {', '.join(repr(n) for n in names)}; known vibes: "
        f"{', '.join(VIBE_NAMES)} (or {AUTO!r} with at)"
    )


def check_vibes(vibes: list[str] | None) -> list[str] | None:
    """`vibe=` as asked: known vibes, or `auto` alone (a pydantic validator: a ValueError is
    a 422 in FastAPI's form)."""
    if vibes is None:
        return None
    unknown = [v for v in vibes if v not in VIBE_INDEX and v != AUTO]
    if unknown:
        raise ValueError(unknown_vibe_message(unknown))
    if AUTO in vibes and len(set(vibes)) > 1:
        raise ValueError(f"{AUTO!r} stands alone: it picks the person's usual vibe")
    return vibes
