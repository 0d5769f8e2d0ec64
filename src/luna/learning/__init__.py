"""Learning to recommend venues: offline evaluation on real check-ins and a learned ranker.

One module per concern: `data` (check-in log), `catalog` (which venues are going-out places),
`homes` (a person's home from their own check-ins), `split` (time split), `windows` (the
histories before a cutoff), `features` (what the ranker sees: the names, the catalog's side),
`person_view` (one person's side, and the features of any venues), `grid` (the venues in
cells of about 1 km), `candidates` (the venues the trees re-rank), `baselines`, `ranker`
(LightGBM LambdaRank and its model file), `metrics`, `evaluate` (`luna eval`), `serving`
(the per-request scorer), `checkins_import` (`luna import-checkins`), `database` (`luna train`).
"""
