"""`luna bench`: synthetic worlds (S1, S2, S3, tiny), import, serve, drive load with wrk, report.

See README "Benchmarks" and issue 4. `luna.bench.synthetic` writes the worlds;
`luna.bench.runner` runs the whole benchmark; `luna.bench.wrk` drives the load generator;
`luna.bench.report` prints the table and writes the JSON and the plot.
"""

# Defaults shared by the command line and the modules (kept here: `luna` starts without numpy).
DEFAULT_SEED = 20261125
# The write rate limit while benchmarking: high enough never to answer 429, with a short
# window so the in-memory limiter keeps short lists (it is still on: its cost is measured).
BENCH_WRITE_RATE_LIMIT = "1000000/second"
