"""Learning to recommend venues: offline evaluation on real check-ins and a learned ranker.

One module per concern: `data` (check-in log), `catalog` (which venues are going-out places),
`homes` (a person's home from their own check-ins), `split` (time split), `features` (what the
ranker sees, computed for one person and every catalog venue), `baselines`, `ranker`
(LightGBM LambdaRank and its model file), `metrics`, `evaluate` (`luna eval`), `serving`
(the per-request scorer), `checkins_import` (`luna import-checkins`), `database` (`luna train`).
"""
