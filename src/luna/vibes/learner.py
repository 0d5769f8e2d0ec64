"""The vibe learner: each venue's vibe profile (a score in [0, 1] per vibe) from behaviour.

Pure numpy, no session: `luna vibes refresh` feeds it Luna's interactions and plans,
`luna eval --vibes` the Foursquare check-ins, and both run exactly this.

Behaviour, per venue (`behaviour_features`):
- when people go: the share of visits in each three-hour slot of the day, on weekends, and
  on Friday and Saturday nights (hour-of-week profile, on the visitors' wall clock);
- how many come and how often they come back: log visits, log distinct visitors, return
  rate (1 - distinct visitors / visits);
- how long they stay (mean log dwell) and with how many (mean party size of the plans made
  there): Luna's own tables only; the check-ins have neither, and a column that is unknown
  everywhere is left out;
- who else the same people visit (co-visitation, `visitor_taste`): the visitors' taste, the
  mean prior of the *other* venues each visitor went to (leave-one-out, so a venue's own
  category never leaks into its behaviour), the same at the visit's time of week, and the
  prior of the venues visited just before and after; and the venue's factors of a
  truncated SVD of the normalised person x venue matrix (co-visitation embeddings).

Learning: for each vibe, a ridge regression from these features to the category prior,
fitted on the venues whose category is known, predicts the `behaviour` score of every venue
(out-of-fold for the venues it was fitted on, so that score is behaviour's alone). The
profile is then

    profile = (1 - b) * prior + b * behaviour,    b = visits / (visits + prior_visits)

for a venue with a prior (its behaviour moves it away from its category's numbers as it is
visited), and `behaviour` for a venue without one. Scores are clipped to [0, 1].
"""

from dataclasses import dataclass

import numpy as np

from luna.vibes.vocabulary import VIBE_NAMES

DAY = 86_400
SLOT_HOURS = 3
# A venue's prior counts as this many visits against its behaviour (the b above).
PRIOR_VISITS = 10.0
RIDGE = 1.0  # L2 penalty on standardised features
FOLDS = 5
EMBEDDING_DIMS = 16
# Visits this close in time by one person are a sequence (dinner, then a bar).
SEQUENCE_HOURS = 3
# A venue's busiest time is named from this many visits on.
PEAK_MIN_VISITS = 3
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
PARTS = ("mornings", "afternoons", "evenings", "nights")  # 6-12, 12-17, 17-21, 21-6
NO_PEAK = -1


@dataclass(frozen=True)
class Behaviour:
    """Events at venues 0..n_venues-1 (a visit, or a positive interaction)."""

    n_venues: int
    venue: np.ndarray  # int64 per event
    user: np.ndarray  # int64 per event
    local: np.ndarray  # int64 epoch seconds on the wall clock, per event
    dwell: np.ndarray | None = None  # float seconds per event, NaN where unknown
    party_size: np.ndarray | None = None  # float per venue (mean plan party), NaN unknown


@dataclass(frozen=True)
class Profiles:
    scores: np.ndarray  # (n_venues, len(VIBE_NAMES)) in [0, 1]
    behaviour: np.ndarray  # the behaviour-only scores, same shape
    visits: np.ndarray  # int64 per venue
    peak: np.ndarray  # int16 per venue: day * 4 + part, NO_PEAK when too few visits


def peak_label(peak: int) -> str | None:
    """ "Friday nights" for a peak code; None for NO_PEAK."""
    if peak < 0:
        return None
    return f"{DAYS[peak // len(PARTS)]} {PARTS[peak % len(PARTS)]}"


def _weekday(local: np.ndarray) -> np.ndarray:
    return (local // DAY + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0


def peaks(behaviour: Behaviour) -> np.ndarray:
    """Each venue's busiest day and part of the day (a night belongs to the evening it
    started: Saturday 01:00 is a Friday night)."""
    shifted = behaviour.local - 6 * 3600  # days start at 06:00
    day = _weekday(shifted)
    hour = (shifted % DAY) // 3600  # 0 = 06:00
    part = np.searchsorted(np.array([6, 11, 15]), hour, side="right")  # 6-12|12-17|17-21|21-6
    code = day * len(PARTS) + part
    n_codes = len(DAYS) * len(PARTS)
    counts = np.zeros((behaviour.n_venues, n_codes))
    np.add.at(counts, (behaviour.venue, code), 1.0)
    visits = counts.sum(axis=1)
    best = counts.argmax(axis=1).astype(np.int16)
    return np.where(visits >= PEAK_MIN_VISITS, best, NO_PEAK).astype(np.int16)


def behaviour_features(behaviour: Behaviour) -> np.ndarray:
    """Every venue's own behaviour (rows): when, how many, how often back, how long, with
    how many (the module's docstring); co-visitation is `visitor_taste` and `embeddings`."""
    b, n = behaviour, behaviour.n_venues
    visits = np.bincount(b.venue, minlength=n).astype(np.float64)
    seen = np.maximum(visits, 1.0)
    columns: list[np.ndarray] = []
    # When: three-hour slots, weekend, Friday / Saturday nights (shares of visits).
    hour = (b.local % DAY) // 3600
    weekday = _weekday(b.local)
    slot = hour // SLOT_HOURS
    for s in range(24 // SLOT_HOURS):
        columns.append(np.bincount(b.venue, weights=slot == s, minlength=n) / seen)
    columns.append(np.bincount(b.venue, weights=weekday >= 5, minlength=n) / seen)
    night = ((weekday == 4) | (weekday == 5)) & (hour >= 21) | (
        ((weekday == 5) | (weekday == 6)) & (hour < 4)
    )
    columns.append(np.bincount(b.venue, weights=night, minlength=n) / seen)
    # How many, how often back.
    pairs = np.unique(np.stack([b.venue, b.user]), axis=1) if len(b.venue) else np.zeros((2, 0))
    visitors = np.bincount(pairs[0].astype(np.int64), minlength=n).astype(np.float64)
    columns += [np.log1p(visits), np.log1p(visitors), 1.0 - visitors / seen]
    # How long, with how many (left out when unknown everywhere).
    if b.dwell is not None and np.isfinite(b.dwell).any():
        ok = np.isfinite(b.dwell)
        total = np.bincount(b.venue[ok], weights=np.log1p(b.dwell[ok]), minlength=n)
        count = np.bincount(b.venue[ok], minlength=n)
        mean = np.divide(total, count, out=np.zeros(n), where=count > 0)
        fill = float(np.log1p(b.dwell[ok]).mean())
        columns.append(np.where(count > 0, mean, fill))
    if b.party_size is not None and np.isfinite(b.party_size).any():
        party = b.party_size
        columns.append(np.where(np.isfinite(party), party, float(np.nanmean(party))))
    return np.column_stack(columns)


def _venue_means(
    behaviour: Behaviour, values: np.ndarray, ok: np.ndarray, fallback: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per venue, the mean of per-event `values` where `ok` (`fallback` where none), and
    log1p of how many."""
    b = behaviour
    total = np.zeros((b.n_venues, values.shape[1]))
    np.add.at(total, b.venue[ok], values[ok])
    count = np.bincount(b.venue[ok], minlength=b.n_venues)
    mean = np.where(count[:, None] > 0, total / np.maximum(count, 1)[:, None], fallback)
    return mean, np.log1p(count)


def _leave_one_out_taste(
    behaviour: Behaviour, prior: np.ndarray, known: np.ndarray, group: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per event, the mean prior of the other events of its group (a person, or a person at
    a time of week) at venues of known category, and whether there was any."""
    b = behaviour
    _, inverse = np.unique(group, return_inverse=True)
    event_known = known[b.venue].astype(np.float64)
    event_prior = prior[b.venue] * event_known[:, None]
    sums = np.zeros((int(inverse.max(initial=-1)) + 1, prior.shape[1]))
    np.add.at(sums, inverse, event_prior)
    counts = np.bincount(inverse, weights=event_known, minlength=len(sums))
    other_sum = sums[inverse] - event_prior
    other_count = counts[inverse] - event_known
    return other_sum / np.maximum(other_count, 1.0)[:, None], other_count > 0


def visitor_taste(behaviour: Behaviour, prior: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Co-visitation, per venue: the visitors' taste (the mean prior of their *other* visits
    to venues of known category: leave-one-out), their taste at the same time of week
    (`luna.learning.features.time_bin`), and the prior of the venues visited just before or
    after (same person, within SEQUENCE_HOURS); with how much evidence each."""
    from luna.learning.features import time_bin

    b = behaviour
    fallback = prior[known].mean(axis=0) if known.any() else np.zeros(prior.shape[1])
    taste, ok = _leave_one_out_taste(b, prior, known, b.user)
    overall, overall_n = _venue_means(b, taste, ok, fallback)
    bins = time_bin(b.local)
    taste, ok = _leave_one_out_taste(b, prior, known, b.user * 1000 + bins)
    same_time, same_time_n = _venue_means(b, taste, ok, overall)
    # The visits just before and after, in each person's time order.
    order = np.lexsort((b.local, b.user))
    user, venue, local = b.user[order], b.venue[order], b.local[order]
    around = np.zeros((len(order), prior.shape[1]))
    count = np.zeros(len(order))
    for step in (-1, 1):
        other = np.clip(np.arange(len(order)) + step, 0, max(len(order) - 1, 0))
        near = (
            (other != np.arange(len(order)))
            & (user[other] == user)
            & (np.abs(local[other] - local) < SEQUENCE_HOURS * 3600)
            & known[venue[other]]
        )
        around[near] += prior[venue[other[near]]]
        count[near] += 1
    sequence = np.zeros_like(around)
    sequence[order] = around / np.maximum(count, 1)[:, None]
    has = np.zeros(len(order), dtype=bool)
    has[order] = count > 0
    neighbours, neighbours_n = _venue_means(b, sequence, has, fallback)
    return np.hstack(
        [overall, overall_n[:, None], same_time, same_time_n[:, None], neighbours,
         neighbours_n[:, None]]
    )  # fmt: skip


def embeddings(behaviour: Behaviour, dims: int = EMBEDDING_DIMS) -> np.ndarray:
    """Venue factors of a truncated SVD of the person x venue visit matrix (rows and columns
    scaled by 1/sqrt of their totals); no columns when the data is too small."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.linalg import svds

    b = behaviour
    n_users = int(b.user.max()) + 1 if len(b.user) else 0
    k = min(dims, n_users - 1, b.n_venues - 1)
    if k < 2 or len(b.venue) < 4 * dims:
        return np.zeros((b.n_venues, 0))
    matrix = coo_matrix(
        (np.ones(len(b.venue)), (b.user, b.venue)), shape=(n_users, b.n_venues)
    ).tocsr()
    matrix.data = np.log1p(matrix.data)
    rows = np.asarray(matrix.sum(axis=1)).ravel()
    cols = np.asarray(matrix.sum(axis=0)).ravel()
    scaled = (
        matrix.multiply(1.0 / np.sqrt(np.maximum(rows, 1e-9))[:, None])
        .multiply(1.0 / np.sqrt(np.maximum(cols, 1e-9))[None, :])
        .tocsc()
    )
    rng = np.random.default_rng(0)
    _, s, vt = svds(scaled, k=k, v0=rng.random(min(scaled.shape)))
    order = np.argsort(-s)
    return (vt[order].T * s[order]).astype(np.float64)


def _ridge_fit_predict(
    x_train: np.ndarray, y_train: np.ndarray, x: np.ndarray, penalty: float
) -> np.ndarray:
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    a = (x_train - mean) / std
    y_mean = y_train.mean(axis=0)
    gram = a.T @ a + penalty * np.eye(a.shape[1])
    weights = np.linalg.solve(gram, a.T @ (y_train - y_mean))
    return ((x - mean) / std) @ weights + y_mean


def behaviour_scores(
    behaviour: Behaviour, prior: np.ndarray, known: np.ndarray, seed: int = 0
) -> np.ndarray:
    """Every venue's behaviour-only vibe scores: ridge regression on the known venues
    (out-of-fold for them), clipped to [0, 1]. Without enough known venues to fit on, the
    visitors' taste alone."""
    taste = visitor_taste(behaviour, prior, known)
    train = np.flatnonzero(known)
    if len(train) < 2 * FOLDS:
        return np.clip(taste[:, : prior.shape[1]], 0.0, 1.0)
    features = np.hstack([behaviour_features(behaviour), taste, embeddings(behaviour)])
    return np.clip(ridge_out_of_fold(features, prior, train, seed), 0.0, 1.0)


def ridge_out_of_fold(
    features: np.ndarray, target: np.ndarray, train: np.ndarray, seed: int = 0
) -> np.ndarray:
    """Ridge predictions of `target` for every row, fitted on the rows `train`; those rows
    get out-of-fold predictions (FOLDS folds drawn with `seed`)."""
    scores = _ridge_fit_predict(features[train], target[train], features, RIDGE * len(train))
    fold = np.random.default_rng(seed).integers(0, FOLDS, len(train))
    for f in range(FOLDS):
        held, fit = train[fold == f], train[fold != f]
        scores[held] = _ridge_fit_predict(
            features[fit], target[fit], features[held], RIDGE * len(fit)
        )
    return scores


def learn(
    behaviour: Behaviour,
    prior: np.ndarray,
    known: np.ndarray,
    prior_visits: float = PRIOR_VISITS,
    seed: int = 0,
) -> Profiles:
    """Every venue's vibe profile (see the module's docstring). `prior`: (n_venues, vibes)
    category priors, `known`: which venues have one (the others learn from behaviour only)."""
    assert prior.shape == (behaviour.n_venues, len(VIBE_NAMES))
    behaviour_only = behaviour_scores(behaviour, prior, known, seed)
    visits = np.bincount(behaviour.venue, minlength=behaviour.n_venues)
    weight = (visits / (visits + prior_visits))[:, None]
    scores = np.where(
        known[:, None], (1 - weight) * prior + weight * behaviour_only, behaviour_only
    )
    return Profiles(
        scores=np.clip(scores, 0.0, 1.0),
        behaviour=behaviour_only,
        visits=visits.astype(np.int64),
        peak=peaks(behaviour),
    )
