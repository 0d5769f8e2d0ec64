"""The hand-written part of the demo data set: people, places, friendships and plans in NYC.

Plain data only, so it reads like a cast list and can be edited without touching the
generator (`luna.demo.seed`), which derives interactions and the rest of the social graph
from it. Keys (`handle`, `DemoVenue.key`, `DemoPlan.key`) are also the stable names the ids
are derived from: renaming one changes that row's id.
"""

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class DemoUser:
    handle: str
    name: str
    age: int
    favourites: tuple[str, ...]  # 1-3 venue categories this person mostly engages with
    neighbourhood: str | None
    home: tuple[float, float] | None  # (lat, lng); None shows the "no home" (null distance) case
    sociable: bool = True  # False: just signed up, no outgoing social edges yet


@dataclass(frozen=True, slots=True)
class DemoVenue:
    key: str
    name: str
    category: str
    neighbourhood: str
    lat: float
    lng: float
    price_level: int
    rating: float
    description: str
    buzz: int = 1  # 1-3: how much a venue draws people beyond its taste and distance


@dataclass(frozen=True, slots=True)
class Friendship:
    """A hand-picked edge (both directions when `reciprocal`); generated edges never override it."""

    handle: str
    other_handle: str
    relationship_type: Literal["friend", "mutual", "suggested"]
    strength: float
    reciprocal: bool = True


@dataclass(frozen=True, slots=True)
class DemoPlan:
    key: str
    title: str
    organizer: str
    venue: str
    days_ahead: int  # start = seeding day's midnight UTC + days_ahead + hour_utc
    hour_utc: int
    invitees: tuple[tuple[str, Literal["invited", "accepted", "declined"]], ...]
    outcome: Literal["pending", "confirm", "cancel"]  # "cancel": booked first, then cancelled


USERS: tuple[DemoUser, ...] = (
    DemoUser("maya_reads", "Maya Chen", 29, ("bookstore", "cafe"),
             "West Village", (40.7358, -74.0036)),
    DemoUser("jonah_brews", "Jonah Whitfield", 31, ("coffee-shop", "bookstore"),
             "East Village", (40.7265, -73.9815)),
    DemoUser("priya_laughs", "Priya Raman", 27, ("comedy-club", "bar"),
             "Chelsea", (40.7465, -74.0014)),
    DemoUser("diego_bk", "Diego Alvarez", 34, ("music-venue", "bar"),
             "Williamsburg", (40.7140, -73.9560)),
    DemoUser("sofia_astoria", "Sofia Papadakis", 38, ("restaurant", "park"),
             "Astoria", (40.7644, -73.9235)),
    DemoUser("marcus_uptown", "Marcus Bell", 45, ("music-venue", "restaurant"),
             "Harlem", (40.8116, -73.9465)),
    DemoUser("hannah_slope", "Hannah Goldberg", 36, ("park", "cafe", "bookstore"),
             "Park Slope", (40.6710, -73.9814)),
    DemoUser("leo_les", "Leo Moreau", 26, ("bar", "music-venue", "cinema"),
             "Lower East Side", (40.7150, -73.9843)),
    DemoUser("aisha_fg", "Aisha Okafor", 33, ("museum", "restaurant"),
             "Fort Greene", (40.6880, -73.9760)),
    DemoUser("tom_uws", "Tom Brennan", 58, ("cinema", "museum"),
             "Upper West Side", (40.7870, -73.9754)),
    DemoUser("yuki_gp", "Yuki Tanaka", 30, ("bookstore", "coffee-shop"),
             "Greenpoint", (40.7330, -73.9545)),
    DemoUser("carmen_jh", "Carmen Ortiz", 41, ("restaurant",),
             "Jackson Heights", (40.7557, -73.8831)),
    DemoUser("ethan_lic", "Ethan Park", 28, ("comedy-club", "bar"),
             "Long Island City", (40.7447, -73.9485)),
    DemoUser("nadia_ues", "Nadia Haddad", 35, ("museum", "cafe"),
             "Upper East Side", (40.7736, -73.9566)),
    DemoUser("sam_bushwick", "Sam Rivera", 24, ("music-venue", "bar"),
             "Bushwick", (40.6944, -73.9213)),
    DemoUser("grace_ph", "Grace Liu", 32, ("museum", "park"),
             "Prospect Heights", (40.6775, -73.9692)),
    DemoUser("olu_bedstuy", "Olumide Adeyemi", 37, ("restaurant", "music-venue"),
             "Bedford-Stuyvesant", (40.6872, -73.9418)),
    DemoUser("rachel_tribeca", "Rachel Stern", 44, ("restaurant", "bar"),
             "Tribeca", (40.7163, -74.0086)),
    DemoUser("kofi_wh", "Kofi Mensah", 27, ("music-venue", "park"),
             "Washington Heights", (40.8417, -73.9394)),
    DemoUser("elena_dumbo", "Elena Petrova", 39, ("museum", "park", "coffee-shop"),
             "DUMBO", (40.7040, -73.9890)),
    DemoUser("ben_hk", "Ben Carter", 29, ("comedy-club", "restaurant"),
             "Hell's Kitchen", (40.7638, -73.9918)),
    DemoUser("zoe_soho", "Zoe Martin", 25, ("cafe", "cinema"),
             "SoHo", (40.7233, -74.0030)),
    DemoUser("ravi_sunnyside", "Ravi Shah", 42, ("cinema", "restaurant"),
             "Sunnyside", (40.7433, -73.9196)),
    DemoUser("lucia_crown", "Lucía Fernández", 31, ("cafe", "park"),
             "Crown Heights", (40.6694, -73.9422)),
    DemoUser("alex_new", "Alex Kim", 23, ("coffee-shop", "cinema"),
             None, None),
    DemoUser("jordan_b", "Jordan Blake", 50, ("museum",),
             None, None, sociable=False),
)  # fmt: skip


VENUES: tuple[DemoVenue, ...] = (
    # --- bar
    DemoVenue(
        "hollow-oak", "The Hollow Oak", "bar", "West Village", 40.7337, -74.0066, 3, 4.6,
        "A candle-lit cocktail bar in a Hudson Street basement, known for its rye old fashioned. "
        "Quiet enough to talk on weeknights.",
    ),
    DemoVenue(
        "ludlow-lantern", "Ludlow Lantern", "bar", "Lower East Side", 40.7210, -73.9876, 2, 4.2,
        "A narrow dive with paper lanterns, a good jukebox and cheap pickleback specials.",
        buzz=2,
    ),
    DemoVenue(
        "kent-avenue-social", "Kent Avenue Social", "bar", "Williamsburg", 40.7215, -73.9615, 2,
        4.3,
        "A beer hall with long communal tables, twenty taps of local brews and a view of the "
        "Manhattan skyline from the back patio.",
    ),
    DemoVenue(
        "ditmars-tap-room", "Ditmars Tap Room", "bar", "Astoria", 40.7752, -73.9118, 2, 4.4,
        "A neighbourhood taproom at the end of the N line with a rotating list of New York "
        "State beers and trivia on Tuesdays.",
    ),
    DemoVenue(
        "high-line-lounge", "High Line Lounge", "bar", "Chelsea", 40.7472, -74.0046, 3, 4.0,
        "A wine and spritz bar under the High Line, busy with gallery crowds on Thursday evenings.",
    ),
    # --- cafe
    DemoVenue(
        "grove-street-cafe", "Grove Street Café", "cafe", "West Village", 40.7330, -74.0042, 2,
        4.5,
        "A sunny corner café with a small garden, serving all-day eggs, cardamom buns and "
        "proper pots of tea.",
        buzz=2,
    ),
    DemoVenue(
        "seventh-avenue-morning", "Seventh Avenue Morning", "cafe", "Park Slope", 40.6727,
        -73.9772, 2, 4.4,
        "A stroller-friendly brunch café with big windows and a famous ricotta pancake stack.",
    ),
    DemoVenue(
        "cafe-steinway", "Café Steinway", "cafe", "Astoria", 40.7625, -73.9160, 1, 4.3,
        "A Greek-Cypriot café where regulars linger over frappé and spanakopita for hours.",
    ),
    DemoVenue(
        "madison-patisserie", "Madison Avenue Patisserie", "cafe", "Upper East Side", 40.7738,
        -73.9645, 3, 4.6,
        "A French pâtisserie and tea room a few blocks from Museum Mile, with the city's "
        "flakiest croissants.",
    ),
    DemoVenue(
        "franklin-avenue-cafe", "Franklin Avenue Café", "cafe", "Crown Heights", 40.6725,
        -73.9577, 1, 4.2,
        "A plant-filled café with Caribbean patties, oat-milk everything and a Sunday "
        "record swap.",
    ),
    DemoVenue(
        "lenox-light-cafe", "Lenox Light Café", "cafe", "Harlem", 40.8031, -73.9497, 1, 4.1,
        "A bright café near Central Park North with sweet-potato muffins and long communal "
        "tables for laptops.",
    ),
    # --- coffee-shop
    DemoVenue(
        "bedford-roast", "Bedford Roast Co.", "coffee-shop", "Williamsburg", 40.7190, -73.9570,
        2, 4.7,
        "A micro-roastery on Bedford Avenue that roasts twice a week in the front window; "
        "the single-origin pour-overs have a queue.",
        buzz=2,
    ),
    DemoVenue(
        "orchard-street-espresso", "Orchard Street Espresso", "coffee-shop", "Lower East Side",
        40.7190, -73.9895, 2, 4.5,
        "A standing-room espresso bar run by two former baristas from Melbourne.",
    ),
    DemoVenue(
        "fifth-avenue-grind", "Fifth Avenue Grind", "coffee-shop", "Park Slope", 40.6765,
        -73.9805, 1, 4.3,
        "A no-frills coffee counter with good cold brew and a bulletin board full of "
        "neighbourhood flyers.",
    ),
    DemoVenue(
        "broadway-bean", "Broadway Bean", "coffee-shop", "Upper West Side", 40.7860, -73.9780,
        2, 4.2,
        "A wood-panelled coffee shop by the 86th Street station, popular with students and "
        "crossword regulars.",
    ),
    DemoVenue(
        "front-street-roasters", "Front Street Roasters", "coffee-shop", "DUMBO", 40.7025,
        -73.9870, 2, 4.5,
        "Coffee in a converted warehouse under the Manhattan Bridge, with the best cortado "
        "in DUMBO.",
    ),
    # --- restaurant
    DemoVenue(
        "nonna-lucia", "Nonna Lucia", "restaurant", "West Village", 40.7300, -74.0030, 3, 4.6,
        "A twelve-table trattoria on Carmine Street with hand-rolled pasta and a short, "
        "honest wine list. Book ahead on weekends.",
    ),
    DemoVenue(
        "aegean-table", "Aegean Table", "restaurant", "Astoria", 40.7695, -73.9135, 2, 4.7,
        "A Greek taverna known for grilled whole fish, lemon potatoes and a garden in the back.",
        buzz=2,
    ),
    DemoVenue(
        "mabels-kitchen", "Mabel's Kitchen", "restaurant", "Harlem", 40.8120, -73.9440, 2, 4.5,
        "Soul food on Lenox Avenue: fried chicken, collard greens and a gospel brunch on "
        "Sundays.",
        buzz=2,
    ),
    DemoVenue(
        "grand-street-pho", "Grand Street Pho", "restaurant", "Chinatown", 40.7185, -73.9950,
        1, 4.3,
        "A bustling Vietnamese noodle house where the oxtail pho comes in bowls the size of "
        "hubcaps.",
    ),
    DemoVenue(
        "fire-and-flour", "Fire & Flour", "restaurant", "Williamsburg", 40.7140, -73.9605, 2,
        4.4,
        "Wood-fired Neapolitan pizza with a blistered crust and natural wines by the glass.",
    ),
    DemoVenue(
        "roosevelt-spice-house", "Roosevelt Spice House", "restaurant", "Jackson Heights",
        40.7468, -73.8913, 1, 4.6,
        "A Himalayan and Indian kitchen under the 7 train, famous for its momos and thali "
        "lunch.",
    ),
    DemoVenue(
        "franklin-oyster-bar", "Franklin Street Oyster Bar", "restaurant", "Tribeca", 40.7190,
        -74.0075, 4, 4.5,
        "A marble-counter raw bar with East Coast oysters, a serious martini and a quiet back "
        "room.",
    ),
    DemoVenue(
        "nostrand-jerk-grill", "Nostrand Jerk & Grill", "restaurant", "Bedford-Stuyvesant",
        40.6860, -73.9505, 1, 4.4,
        "Jamaican jerk chicken smoked over pimento wood, with rice and peas and a line out "
        "the door on Fridays.",
    ),
    DemoVenue(
        "forty-sixth-thai", "Forty-Sixth Street Thai", "restaurant", "Hell's Kitchen", 40.7610,
        -73.9900, 2, 4.3,
        "Northern Thai cooking a block from the theatres: khao soi, larb and a pre-show set "
        "menu.",
    ),
    DemoVenue(
        "dekalb-bistro", "DeKalb Bistro", "restaurant", "Fort Greene", 40.6895, -73.9725, 3,
        4.4,
        "A French-West African bistro facing Fort Greene Park, with a lively sidewalk terrace "
        "in summer.",
    ),
    # --- museum
    DemoVenue(
        "kaufman-reel-museum", "Kaufman Reel Museum", "museum", "Astoria", 40.7563, -73.9240,
        2, 4.6,
        "A museum of film, television and games in a former studio lot, with hands-on editing "
        "stations and a repertory screening room.",
    ),
    DemoVenue(
        "eastern-parkway-museum", "Eastern Parkway Museum of Art", "museum",
        "Prospect Heights", 40.6712, -73.9636, 2, 4.7,
        "A grand Beaux-Arts museum with Egyptian galleries, a feminist art centre and free "
        "First Saturdays.",
        buzz=2,
    ),
    DemoVenue(
        "harbor-and-tide", "Harbor & Tide Maritime Museum", "museum", "Seaport", 40.7062,
        -74.0030, 2, 4.3,
        "Tall ships, a working letterpress shop and the story of New York's waterfront on "
        "cobbled Water Street.",
    ),
    DemoVenue(
        "museum-mile-design", "Museum Mile Gallery of Design", "museum", "Upper East Side",
        40.7800, -73.9600, 3, 4.5,
        "A design museum in a Fifth Avenue mansion: chairs, posters, typefaces and a "
        "sculpture garden.",
        buzz=2,
    ),
    # --- park
    DemoVenue(
        "washington-square-park", "Washington Square Park", "park", "Greenwich Village",
        40.7308, -73.9973, 1, 4.7,
        "The arch, the fountain, chess players and street musicians: the Village's living "
        "room.",
        buzz=3,
    ),
    DemoVenue(
        "mccarren-park", "McCarren Park", "park", "Williamsburg", 40.7203, -73.9510, 1, 4.4,
        "Ball fields, a running track and a Saturday greenmarket between Williamsburg and "
        "Greenpoint.",
    ),
    DemoVenue(
        "prospect-park-long-meadow", "Prospect Park Long Meadow", "park", "Prospect Park",
        40.6650, -73.9700, 1, 4.8,
        "A mile of rolling lawn for picnics, frisbee and summer concerts at the bandshell "
        "nearby.",
        buzz=3,
    ),
    DemoVenue(
        "astoria-park", "Astoria Park", "park", "Astoria", 40.7790, -73.9230, 1, 4.5,
        "A waterfront park under the Hell Gate and Triborough bridges, with the city's oldest "
        "and biggest public pool.",
    ),
    DemoVenue(
        "marcus-garvey-park", "Marcus Garvey Park", "park", "Harlem", 40.8043, -73.9443, 1,
        4.2,
        "A hilly park around a historic fire watchtower, with drum circles on summer Saturdays.",
    ),
    DemoVenue(
        "brooklyn-bridge-park", "Brooklyn Bridge Park", "park", "DUMBO", 40.7020, -73.9960, 1,
        4.8,
        "Piers turned into lawns, courts and a carousel, with the best view of the Lower "
        "Manhattan skyline.",
        buzz=2,
    ),
    # --- music-venue
    DemoVenue(
        "bowery-basement", "The Bowery Basement", "music-venue", "Lower East Side", 40.7205,
        -73.9935, 2, 4.5,
        "A 250-capacity rock room where touring indie bands play before they get big.",
        buzz=3,
    ),
    DemoVenue(
        "wythe-hall", "Wythe Hall", "music-venue", "Williamsburg", 40.7215, -73.9585, 3, 4.4,
        "A converted foundry with a great sound system, from DJ nights to sold-out "
        "folk shows.",
    ),
    DemoVenue(
        "blue-lenox", "Blue Lenox Jazz Room", "music-venue", "Harlem", 40.8082, -73.9451, 2,
        4.7,
        "A Harlem jazz supper club with a Monday-night jam session that runs until 2 a.m.",
        buzz=2,
    ),
    DemoVenue(
        "seventh-avenue-jazz-cellar", "Seventh Avenue South Jazz Cellar", "music-venue",
        "West Village", 40.7360, -74.0017, 3, 4.8,
        "A wedge-shaped basement that has hosted jazz legends since the 1930s; two sets a "
        "night, no talking.",
    ),
    DemoVenue(
        "bushwick-loading-dock", "Bushwick Loading Dock", "music-venue", "Bushwick", 40.7060,
        -73.9230, 1, 4.1,
        "A warehouse space off Morgan Avenue with experimental electronic nights and local "
        "punk bills.",
    ),
    # --- comedy-club
    DemoVenue(
        "cellar-door-comedy", "Cellar Door Comedy", "comedy-club", "Greenwich Village", 40.7302,
        -74.0005, 2, 4.6,
        "A MacDougal Street basement where big names drop in unannounced for late sets.",
        buzz=2,
    ),
    DemoVenue(
        "punchline-brooklyn", "Punchline Brooklyn", "comedy-club", "Gowanus", 40.6785,
        -73.9860, 1, 4.3,
        "A scrappy club by the canal with open mics on Mondays and improv on weekends.",
    ),
    DemoVenue(
        "queens-comedy-loft", "Queens Comedy Loft", "comedy-club", "Long Island City", 40.7445,
        -73.9525, 1, 4.2,
        "A loft above a brewery near the Vernon Boulevard station, with a skyline view "
        "between sets.",
    ),
    DemoVenue(
        "ninth-avenue-comedy-vault", "Ninth Avenue Comedy Vault", "comedy-club",
        "Hell's Kitchen", 40.7627, -73.9890, 2, 4.4,
        "A former bank vault turned comedy room: two-drink minimum, three shows a night.",
    ),
    # --- bookstore
    DemoVenue(
        "perry-street-books", "Perry Street Books", "bookstore", "West Village", 40.7352,
        -74.0040, 2, 4.8,
        "A tiny, beloved independent bookshop with hand-written staff picks and Thursday "
        "readings.",
        buzz=2,
    ),
    DemoVenue(
        "avenue-a-bookshop", "Avenue A Bookshop", "bookstore", "East Village", 40.7258,
        -73.9835, 1, 4.4,
        "Used and new books stacked to the ceiling, with a strong poetry and zine section.",
    ),
    DemoVenue(
        "greenpoint-paperbacks", "Greenpoint Paperbacks", "bookstore", "Greenpoint", 40.7295,
        -73.9540, 1, 4.5,
        "A paperback-only shop with a cat, a reading nook and a translated-fiction book club.",
    ),
    DemoVenue(
        "seventh-avenue-books", "Seventh Avenue Books", "bookstore", "Park Slope", 40.6745,
        -73.9760, 2, 4.6,
        "A family-run bookstore with a big children's room and author events most evenings.",
    ),
    # --- cinema
    DemoVenue(
        "ludlow-picture-house", "Ludlow Picture House", "cinema", "Lower East Side", 40.7150,
        -73.9885, 2, 4.6,
        "A two-screen repertory cinema with 35mm prints, a bookshop and a bar upstairs.",
        buzz=2,
    ),
    DemoVenue(
        "kent-screen", "Kent Screen", "cinema", "Williamsburg", 40.7155, -73.9640, 2, 4.2,
        "A dine-in cinema with recliners, first-run films and cult midnight screenings.",
    ),
    DemoVenue(
        "steinway-screen", "Steinway Screen", "cinema", "Astoria", 40.7585, -73.9190, 1, 4.1,
        "A restored 1920s neighbourhood movie palace showing new releases at old prices.",
    ),
    DemoVenue(
        "lincoln-square-cinema", "Lincoln Square Cinema", "cinema", "Upper West Side", 40.7750,
        -73.9820, 2, 4.3,
        "Six screens near Lincoln Center, with a strong line-up of documentaries and foreign "
        "films.",
    ),
    DemoVenue(
        "houston-street-film-house", "Houston Street Film House", "cinema", "SoHo", 40.7284,
        -74.0043, 2, 4.7,
        "A non-profit art-house cinema with retrospectives, premieres and famous popcorn.",
        buzz=2,
    ),
)  # fmt: skip


# When people go, by category: (weekdays, Monday = 0; local hours in New York). The demo's
# interactions happen at these times, so the vibe learner (luna.vibes) sees bars busy on
# Thursday to Saturday nights and parks on weekend afternoons, as a person would expect.
VISIT_TIMES: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "bar": ((3, 4, 5), (21, 22, 23)),
    "music-venue": ((4, 5), (22, 23)),
    "comedy-club": ((4, 5), (20, 21)),
    "restaurant": ((0, 1, 2, 3, 4, 5, 6), (19, 20)),
    "cafe": ((0, 1, 2, 3, 4, 5, 6), (9, 10, 11)),
    "coffee-shop": ((0, 1, 2, 3, 4), (7, 8, 9)),
    "bookstore": ((5, 6), (14, 15, 16)),
    "museum": ((5, 6), (11, 13, 14)),
    "park": ((5, 6), (11, 13, 15)),
    "cinema": ((0, 1, 2, 3, 4, 5, 6), (19, 20, 21)),
}

FRIENDSHIPS: tuple[Friendship, ...] = (
    # Maya's closest friends, at equal strength: which of them to bring depends on the venue.
    Friendship("maya_reads", "jonah_brews", "friend", 0.8),
    Friendship("maya_reads", "priya_laughs", "friend", 0.8),
    Friendship("maya_reads", "zoe_soho", "mutual", 0.55),
    Friendship("jonah_brews", "yuki_gp", "friend", 0.75),
    Friendship("priya_laughs", "ethan_lic", "friend", 0.85),
    Friendship("priya_laughs", "ben_hk", "mutual", 0.6),
    Friendship("diego_bk", "sam_bushwick", "friend", 0.9),
    Friendship("diego_bk", "leo_les", "friend", 0.7),
    Friendship("marcus_uptown", "kofi_wh", "friend", 0.8),
    Friendship("marcus_uptown", "olu_bedstuy", "mutual", 0.5),
    Friendship("hannah_slope", "grace_ph", "friend", 0.85),
    Friendship("hannah_slope", "lucia_crown", "mutual", 0.6),
    Friendship("elena_dumbo", "hannah_slope", "mutual", 0.45),
    Friendship("sofia_astoria", "ravi_sunnyside", "friend", 0.7),
    Friendship("sofia_astoria", "carmen_jh", "friend", 0.75),
    Friendship("aisha_fg", "grace_ph", "friend", 0.65),
    Friendship("tom_uws", "nadia_ues", "mutual", 0.5),
    Friendship("rachel_tribeca", "maya_reads", "suggested", 0.3, reciprocal=False),
    Friendship("alex_new", "zoe_soho", "friend", 0.7),
)


PLANS: tuple[DemoPlan, ...] = (
    DemoPlan(
        "monday-jam", "Monday jam session at Blue Lenox", "marcus_uptown", "blue-lenox",
        days_ahead=3, hour_utc=23,
        invitees=(("kofi_wh", "accepted"), ("olu_bedstuy", "accepted")),
        outcome="confirm",
    ),
    DemoPlan(
        "book-club", "Translated-fiction book club", "maya_reads", "perry-street-books",
        days_ahead=5, hour_utc=22,
        invitees=(
            ("jonah_brews", "accepted"), ("yuki_gp", "accepted"), ("priya_laughs", "declined"),
        ),
        outcome="confirm",
    ),
    DemoPlan(
        "late-set", "Late set at Cellar Door", "priya_laughs", "cellar-door-comedy",
        days_ahead=6, hour_utc=2,
        invitees=(("ethan_lic", "accepted"), ("ben_hk", "invited"), ("maya_reads", "invited")),
        outcome="pending",
    ),
    DemoPlan(
        "long-meadow-picnic", "Picnic on the Long Meadow", "hannah_slope",
        "prospect-park-long-meadow",
        days_ahead=9, hour_utc=16,
        invitees=(
            ("grace_ph", "accepted"), ("lucia_crown", "invited"), ("elena_dumbo", "declined"),
        ),
        outcome="pending",
    ),
    DemoPlan(
        "taverna-dinner", "Whole fish at Aegean Table", "sofia_astoria", "aegean-table",
        days_ahead=4, hour_utc=23,
        invitees=(("ravi_sunnyside", "accepted"), ("carmen_jh", "accepted")),
        outcome="cancel",
    ),
)  # fmt: skip
