"""`luna bench`'s load on chosen routes, against a database you imported already: for
comparing two versions of the code on the same data, back to back (no generate, no import).

    uv run python -m luna.bench.synthetic S3 /tmp/s3
    createdb -h 127.0.0.1 -U postgres luna_s3 && \\
        DATABASE_URL=postgresql://postgres@127.0.0.1:5432/luna_s3 uv run luna migrate && \\
        DATABASE_URL=postgresql://postgres@127.0.0.1:5432/luna_s3 uv run luna import /tmp/s3
    createdb -h 127.0.0.1 -U postgres -T luna_s3 luna_s3_run     # a fresh copy per version
    uv run python scripts/bench_routes.py /tmp/s3 postgresql://postgres@127.0.0.1:5432/luna_s3_run
    PYTHONPATH=/path/to/other/checkout/src uv run python scripts/bench_routes.py ...  # the other
    uv run python scripts/bench_routes.py /tmp/s3 postgresql://...luna_s3 \\
        --routes health,reco_venues,reco_people --checkout before=/tmp/old --checkout after=. \\
        --rounds 4                            # read routes: both versions side by side

The write routes add rows: give each version its own copy of the database. Prints one line per
route and mode (one connection, then --connections), as `luna bench` measures them. With
--checkout (each one's `src` first on its server's PYTHONPATH), the checkouts' servers run
side by side and take turns at each route, round after round, so a machine whose other load
comes and goes weighs on all of them alike; then the median over rounds per checkout, route
and mode, and its ratio to the first checkout's.
"""

import argparse
import contextlib
import statistics
from pathlib import Path

from luna.bench import synthetic
from luna.bench.measure import drive
from luna.bench.options import BenchOptions
from luna.bench.routes import ROUTES, prepare_requests
from luna.bench.server import Server, add_checkout_option, server_env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("world", type=Path, help="the folder the database was imported from")
    parser.add_argument("database_url")
    parser.add_argument("--routes", default="health,reco_venues,reco_people,interaction,batch")
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--out", type=Path, default=Path("bench-results/routes"))
    add_checkout_option(parser)
    parser.add_argument("--rounds", type=int, default=1, help="servers started per checkout")
    args = parser.parse_args()
    options = BenchOptions(
        scales=["S3"], out=args.out, duration=args.duration, connections=args.connections
    )
    (options.out / "logs").mkdir(parents=True, exist_ok=True)
    env = server_env(args.database_url, options.write_rate_limit)
    sample = synthetic.load_sample(args.world)
    scripts = prepare_requests(
        options.out / "wrk" / args.world.name, sample, env["LUNA_JWT_SECRET"], options.seed
    )
    routes = {route.key: route for route in ROUTES}
    checkouts = [item.split("=", 1) for item in args.checkout] or [["", ""]]
    # (route, mode) -> checkout -> its rows, in the order measured
    rows: dict[tuple[str, str], dict[str, list[dict]]] = {}
    with contextlib.ExitStack() as stack:
        servers = []
        for name, path in checkouts:
            checkout_env = dict(env)
            if path:
                checkout_env["PYTHONPATH"] = str((Path(path) / "src").resolve())
            log = options.out / "logs" / f"serve-{name or 'installed'}.log"
            servers.append((name, stack.enter_context(Server(checkout_env, options.workers, log))))
        for round_ in range(1, args.rounds + 1):
            for key in args.routes.split(","):
                for name, server in servers:
                    for row in drive(options, args.world.name, routes[key], server, scripts[key]):
                        rows.setdefault((key, row["mode"]), {}).setdefault(name, []).append(row)
                        label = f"{name} round {round_} " if name else ""
                        print(f"{label}{_line(key, row)}", flush=True)
    if args.rounds > 1 or len(checkouts) > 1:
        print(f"median of {args.rounds} rounds (x: its ratio to {checkouts[0][0]}'s):")
        for (key, mode), by_checkout in rows.items():
            medians = {
                name: {
                    field: statistics.median(row[field] for row in found)
                    for field in ("median_ms", "p99_ms", "requests_per_second", "items_per_second")
                }
                for name, found in by_checkout.items()
            }
            base = medians[checkouts[0][0]]
            for name, middle in medians.items():
                p99 = middle["p99_ms"] / base["p99_ms"]
                rate = middle["requests_per_second"] / base["requests_per_second"]
                line = _line(key, {"mode": mode, "errors": {}, **middle})
                print(f"{name:10} {line}  p99 x{p99:.2f}, req/s x{rate:.2f}")


def _line(key: str, row: dict) -> str:
    return (
        f"{key:12} {row['mode']:10} median {row['median_ms']:8.2f} ms  "
        f"p99 {row['p99_ms']:7.1f} ms  {row['requests_per_second']:8.1f} req/s  "
        f"{row['items_per_second']:9.0f} items/s  errors {sum(row['errors'].values())}"
    )


if __name__ == "__main__":
    main()
