"""`luna bench`: synthetic worlds (S1, S2, S3, tiny), import, serve, drive load with wrk, report.

See README "Benchmarks" and issue 4. `luna.bench.synthetic` writes the worlds;
`luna.bench.runner` runs the whole benchmark (`luna.bench.options` says how); `luna.bench.database`
and `luna.bench.server` give it databases and servers; `luna.bench.routes` prepares each route's
requests and `luna.bench.measure` drives a route with `luna.bench.wrk`, the load generator;
`luna.bench.report` writes the JSON and the plot and prints the table.
"""

# Defaults shared by the command line and the modules (kept here: `luna` starts without numpy).
DEFAULT_SEED = 20261125
# The write rate limit while benchmarking: high enough never to answer 429, with a short
# window so the in-memory limiter keeps short lists (it is still on: its cost is measured).
BENCH_WRITE_RATE_LIMIT = "1000000/second"
