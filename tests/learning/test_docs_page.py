"""`luna eval --docs`: generated blocks in a hand-written page."""

import pytest
from typer.testing import CliRunner

from luna.cli import app
from luna.learning.docs_page import DocsPageError, fill_blocks

PAGE = (
    "intro\n<!-- luna eval: a -->\nold a\n<!-- /luna eval: a -->\nmiddle\n"
    "<!-- luna eval: b -->\n<!-- /luna eval: b -->\n"
)


def test_blocks_are_replaced_and_the_rest_is_kept():
    filled = fill_blocks(PAGE, {"a": "new a\n| x |\n", "b": "new b"})
    assert filled == (
        "intro\n<!-- luna eval: a -->\nnew a\n| x |\n<!-- /luna eval: a -->\nmiddle\n"
        "<!-- luna eval: b -->\nnew b\n<!-- /luna eval: b -->\n"
    )
    assert fill_blocks(filled, {"a": "old a", "b": ""}) == PAGE  # and back: nothing drifts


@pytest.mark.parametrize(
    "page", ["no blocks", PAGE.replace("<!-- /luna eval: a -->", ""), PAGE + PAGE]
)
def test_a_missing_or_doubled_block_is_an_error(page):
    with pytest.raises(DocsPageError, match="luna eval: a"):
        fill_blocks(page, {"a": "x"})


def test_luna_eval_checks_the_page_before_it_runs(checkins_file, tmp_path):
    page = tmp_path / "page.md"
    page.write_text("a page without blocks\n")
    result = CliRunner().invoke(
        app, ["eval", "--data", str(checkins_file), "--out", str(tmp_path), "--docs", str(page)]
    )
    assert result.exit_code == 1
    assert "luna eval: results" in result.output
    assert page.read_text() == "a page without blocks\n"
    assert not (tmp_path / "evaluation.json").exists()
