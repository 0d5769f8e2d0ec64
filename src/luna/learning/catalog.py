"""Which venues a going-out recommender recommends: the catalog.

Luna answers "where should we go (together)?". The catalog therefore keeps places people
choose to go out to, and leaves out what a person goes to because they must or because it is
theirs: home and work, transit, errands and services, schools, health, worship, and generic
places that are not a venue (a neighborhood, a road, a building). The choice is an explicit
allow-list of Foursquare category names, grouped in four families:

- eat: restaurants of every cuisine, cafés, bakeries, dessert, food trucks, snack places;
- drink and nightlife: bars, beer gardens, breweries, wineries, clubs, lounges;
- culture and entertainment: music venues, theaters, cinemas, museums, galleries, comedy,
  arcades, bowling, pool halls, stadiums, zoos, event spaces, casinos, fairs;
- outdoors and leisure: parks, gardens, beaches, scenic lookouts, plazas, historic sites,
  playgrounds, markets, spas.

Left out on purpose, though one can "go" there: gyms (a routine, not an outing),
delis / bodegas and food & drink shops (groceries), shops of every kind (errands), hotels
and airports (travel), and `Home (private)`, `Office`, transit and the like. On the NYC data
set the catalog is 15,909 of 32,826 venues (133 of 251 categories) and 42% of the check-ins.
"""

import re
import unicodedata
from dataclasses import dataclass

import numpy as np

from luna.learning.data import CheckinLog

EAT = frozenset(
    {
        "American Restaurant", "Afghan Restaurant", "African Restaurant", "Arepa Restaurant",
        "Argentinian Restaurant", "Asian Restaurant", "Australian Restaurant", "BBQ Joint",
        "Bagel Shop", "Bakery", "Brazilian Restaurant", "Breakfast Spot", "Burger Joint",
        "Burrito Place", "Café", "Cajun / Creole Restaurant", "Candy Store",
        "Caribbean Restaurant", "Chinese Restaurant", "Coffee Shop", "Cuban Restaurant",
        "Cupcake Shop", "Dessert Shop", "Dim Sum Restaurant", "Diner", "Donut Shop",
        "Dumpling Restaurant", "Eastern European Restaurant", "Ethiopian Restaurant",
        "Falafel Restaurant", "Fast Food Restaurant", "Filipino Restaurant",
        "Fish & Chips Shop", "Food", "Food Truck", "French Restaurant", "Fried Chicken Joint",
        "Gastropub", "German Restaurant", "Gluten-free Restaurant", "Greek Restaurant",
        "Hot Dog Joint", "Ice Cream Shop", "Indian Restaurant", "Italian Restaurant",
        "Japanese Restaurant", "Korean Restaurant", "Latin American Restaurant",
        "Mac & Cheese Joint", "Malaysian Restaurant", "Mediterranean Restaurant",
        "Mexican Restaurant", "Middle Eastern Restaurant", "Molecular Gastronomy Restaurant",
        "Moroccan Restaurant", "Peruvian Restaurant", "Pizza Place", "Portuguese Restaurant",
        "Ramen /  Noodle House", "Restaurant", "Salad Place", "Sandwich Place",
        "Scandinavian Restaurant", "Seafood Restaurant", "Snack Place", "Soup Place",
        "South American Restaurant", "Southern / Soul Food Restaurant", "Spanish Restaurant",
        "Steakhouse", "Sushi Restaurant", "Swiss Restaurant", "Taco Place", "Tapas Restaurant",
        "Tea Room", "Thai Restaurant", "Turkish Restaurant", "Vegetarian / Vegan Restaurant",
        "Vietnamese Restaurant", "Wings Joint",
    }
)  # fmt: skip
DRINK_NIGHTLIFE = frozenset(
    {
        "Bar", "Beer Garden", "Brewery", "Distillery", "Nightlife Spot", "Other Nightlife",
        "Winery",
    }
)  # fmt: skip
CULTURE_ENTERTAINMENT = frozenset(
    {
        "Aquarium", "Arcade", "Art Gallery", "Art Museum", "Arts & Entertainment",
        "Bowling Alley", "Casino", "College Stadium", "College Theater", "Comedy Club",
        "Concert Hall", "Event Space", "Fair", "Gaming Cafe", "General Entertainment",
        "History Museum", "Movie Theater", "Museum", "Music Venue", "Performing Arts Venue",
        "Planetarium", "Pool Hall", "Public Art", "Racetrack", "Science Museum",
        "Sculpture Garden", "Stadium", "Theater", "Zoo",
    }
)  # fmt: skip
OUTDOORS_LEISURE = frozenset(
    {
        "Athletic & Sport", "Beach", "Campground", "Flea Market", "Garden", "Harbor / Marina",
        "Historic Site", "Market", "Other Great Outdoors", "Outdoors & Recreation", "Park",
        "Playground", "Plaza", "Pool", "Scenic Lookout", "Ski Area", "Spa / Massage",
    }
)  # fmt: skip
GOING_OUT_CATEGORIES = EAT | DRINK_NIGHTLIFE | CULTURE_ENTERTAINMENT | OUTDOORS_LEISURE
# Where a person lives, for home estimation (see luna.learning.homes).
HOME_CATEGORIES = frozenset({"Home (private)", "Residential Building (Apartment / Condo)"})


def is_going_out(category: str) -> bool:
    return category in GOING_OUT_CATEGORIES


def luna_category(name: str) -> str:
    """A Foursquare category name as a Luna category (lower-case words joined by hyphens):
    'Café' -> 'cafe', 'Ramen /  Noodle House' -> 'ramen-noodle-house', 'BBQ Joint' ->
    'bbq-joint', 'Fish & Chips Shop' -> 'fish-and-chips-shop'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_name.lower().replace("&", " and "))
    return "-".join(words)[:64].rstrip("-")


@dataclass(frozen=True)
class Catalog:
    """The catalog venues of a log: `venues` are codes of the log's venues; position i in
    every array here is catalog venue i. `category` holds dense category codes into
    `category_names`."""

    venues: np.ndarray  # int32, log venue code of each catalog position
    lat: np.ndarray
    lng: np.ndarray
    category: np.ndarray  # int32 codes
    category_names: tuple[str, ...]
    position: np.ndarray  # int32 per log venue code: its catalog position, or -1

    def __len__(self) -> int:
        return len(self.venues)


def build_catalog(log: CheckinLog, categories: frozenset[str] = GOING_OUT_CATEGORIES) -> Catalog:
    """Every venue of the log whose category is in `categories` (whether or not it was
    visited in a given time window: the catalog is the venue table, not the history)."""
    keep = np.fromiter((name in categories for name in log.venue_category), bool, log.n_venues)
    venues = np.flatnonzero(keep).astype(np.int32)
    names = tuple(sorted(set(log.venue_category[venues].tolist())))
    code = {name: i for i, name in enumerate(names)}
    category = np.array([code[name] for name in log.venue_category[venues]], dtype=np.int32)
    position = np.full(log.n_venues, -1, dtype=np.int32)
    position[venues] = np.arange(len(venues), dtype=np.int32)
    return Catalog(venues, log.venue_lat[venues], log.venue_lng[venues], category, names, position)
