"""`luna eval --vibes` on a slice of the real check-ins, and its AUC."""

import itertools
import json

import numpy as np
import pytest
from rich.console import Console
from typer.testing import CliRunner

from luna.cli import app
from luna.learning.data import DEFAULT_CHECKINS
from luna.vibes.evaluate import VibesEvalConfig, roc_auc, run
from luna.vibes.vocabulary import VIBE_NAMES


def test_roc_auc_is_the_share_of_positive_negative_pairs_in_order():
    rng = np.random.default_rng(1)
    scores = rng.choice([0.0, 0.5, 1.0], 40)
    truth = rng.random(40) < 0.4
    pairs = list(itertools.product(scores[truth], scores[~truth]))
    want = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in pairs) / len(pairs)
    assert roc_auc(scores, truth) == pytest.approx(want)
    assert np.isnan(roc_auc(scores, np.zeros(40, dtype=bool)))


def test_eval_vibes_writes_its_table_json_and_plots(tmp_path):
    config = VibesEvalConfig(data=DEFAULT_CHECKINS, out=tmp_path, max_users=80, sample=300)
    report = run(config, Console(quiet=True))
    recovery, usefulness = report["recovery"], report["usefulness"]
    assert set(recovery["per_vibe"]) == set(VIBE_NAMES)
    assert 0.5 < recovery["mean_auc"] <= 1.0  # better than chance even on a slice
    assert recovery["met"] == (recovery["mean_auc"] >= 0.80)
    assert set(usefulness["per_vibe"]) == set(VIBE_NAMES)
    assert usefulness["vibe_weight"] == 0.5
    assert json.loads((tmp_path / "vibes.json").read_text())["recovery"]["hidden_share"] == 0.3
    assert "| **mean** |" in (tmp_path / "vibes.md").read_text()
    for name in ("vibes_recovery.png", "vibes_usefulness.png"):
        assert (tmp_path / name).read_bytes().startswith(b"\x89PNG")


def test_eval_vibes_docs_fills_the_vibes_block(tmp_path):
    """`luna eval --vibes --docs PAGE`: vibes.md goes into the page's vibes block, the plots
    beside it; a page without the block is refused before the run."""
    docs = tmp_path / "docs"
    docs.mkdir()
    page = docs / "evaluation.md"
    page.write_text("# Vibes\n<!-- luna eval: vibes -->\n<!-- /luna eval: vibes -->\nend\n")
    out = tmp_path / "out"
    arguments = ["eval", "--vibes", "--max-users", "80", "--out", str(out), "--docs", str(page)]
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 0, result.output
    tables = (out / "vibes.md").read_text().strip("\n")
    assert page.read_text() == (
        f"# Vibes\n<!-- luna eval: vibes -->\n{tables}\n<!-- /luna eval: vibes -->\nend\n"
    )
    for name in ("vibes_recovery.png", "vibes_usefulness.png"):
        assert (docs / name).read_bytes() == (out / name).read_bytes()

    bare = tmp_path / "bare.md"
    bare.write_text("no blocks\n")
    other = ["eval", "--vibes", "--max-users", "80", "--out", str(tmp_path / "other")]
    refused = CliRunner().invoke(app, [*other, "--docs", str(bare)])
    assert refused.exit_code == 1 and "luna eval: vibes" in refused.output
    assert not (tmp_path / "other").exists()
