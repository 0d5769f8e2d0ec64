"""How many people an A/B test and team-draft interleaving need to tell two venue rankers
apart, on the synthetic world of `luna.experiments.simulation`; writes
docs/interleaving-power.png (both curves in one plot) and prints the table.

    uv run python scripts/interleaving_power.py [--repetitions 100] [--out docs/interleaving-power.png]
"""

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from luna.experiments.simulation import power

PEOPLE = (100, 200, 400, 800, 1600, 3200, 6400)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=100)
    parser.add_argument("--out", type=Path, default=Path("docs/interleaving-power.png"))
    args = parser.parse_args()
    curves: dict[str, list[float]] = {"ab": [], "interleave": []}
    print(f"{'people':>7} {'A/B':>6} {'interleaving':>13}")
    for i, people in enumerate(PEOPLE):
        for method, values in curves.items():
            values.append(power(method, people, args.repetitions, seed=1000 * i + len(values)))
        print(f"{people:>7} {curves['ab'][-1]:>6.2f} {curves['interleave'][-1]:>13.2f}")
    figure, axes = plt.subplots(figsize=(7, 4.5))
    axes.plot(PEOPLE, curves["ab"], "o-", label="A/B test (two-proportion z-test)")
    axes.plot(PEOPLE, curves["interleave"], "s-", label="team-draft interleaving (sign test)")
    axes.axhline(0.8, color="grey", linestyle="--", linewidth=0.8)
    axes.set_xscale("log", base=2)
    axes.set_xticks(PEOPLE, [str(p) for p in PEOPLE])
    axes.set_xlabel("people in the experiment (both arms together)")
    axes.set_ylabel(f"share of {args.repetitions} experiments detecting the better ranker")
    axes.set_ylim(0, 1.02)
    axes.set_title("People needed to tell two venue rankers apart (alpha = 0.05)")
    axes.legend(loc="lower right")
    figure.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(args.out, dpi=110)
    print(f"Plot: {args.out}")


if __name__ == "__main__":
    main()
