"""`luna bench`'s load on chosen routes, against a database you imported already: for
comparing two versions of the code on the same data, back to back (no generate, no import).

    uv run python -m luna.bench.synthetic S3 /tmp/s3
    createdb -h 127.0.0.1 -U postgres luna_s3 && \\
        DATABASE_URL=postgresql://postgres@127.0.0.1:5432/luna_s3 uv run luna migrate && \\
        DATABASE_URL=postgresql://postgres@127.0.0.1:5432/luna_s3 uv run luna import /tmp/s3
    createdb -h 127.0.0.1 -U postgres -T luna_s3 luna_s3_run     # a fresh copy per version
    uv run python scripts/bench_routes.py /tmp/s3 postgresql://postgres@127.0.0.1:5432/luna_s3_run
    PYTHONPATH=/path/to/other/checkout/src uv run python scripts/bench_routes.py ...  # the other

The write routes add rows: give each version its own copy of the database. Prints one line per
route and mode (one connection, then --connections), as `luna bench` measures them.
"""

import argparse
from pathlib import Path

from luna.bench import runner, synthetic
from luna.bench.server import Server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("world", type=Path, help="the folder the database was imported from")
    parser.add_argument("database_url")
    parser.add_argument("--routes", default="health,reco_venues,reco_people,interaction,batch")
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--out", type=Path, default=Path("bench-results/routes"))
    args = parser.parse_args()
    options = runner.BenchOptions(
        scales=["S3"], out=args.out, duration=args.duration, connections=args.connections
    )
    (options.out / "logs").mkdir(parents=True, exist_ok=True)
    env = runner.server_env(options, args.database_url)
    sample = synthetic.load_sample(args.world)
    scripts = runner.prepare_requests(options, args.world.name, sample, env["LUNA_JWT_SECRET"])
    routes = {route.key: route for route in runner.ROUTES}
    with Server(env, options.workers, options.out / "logs" / "serve.log") as server:
        for key in args.routes.split(","):
            for row in runner.drive(options, args.world.name, routes[key], server, scripts[key]):
                print(
                    f"{key:12} {row['mode']:10} median {row['median_ms']:8.2f} ms  "
                    f"p99 {row['p99_ms']:7.1f} ms  {row['requests_per_second']:8.1f} req/s  "
                    f"{row['items_per_second']:9.0f} items/s  errors {sum(row['errors'].values())}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
