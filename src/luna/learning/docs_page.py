"""`luna eval --docs PAGE`: the evaluation's tables written into a hand-written page, so the
page's figures are regenerated, never copied by hand.

The page marks each generated block with a pair of HTML comments (invisible once rendered):

    <!-- luna eval: results -->
    ...replaced by `luna eval`...
    <!-- /luna eval: results -->

Everything outside the blocks is left byte for byte as it was; the plots are copied beside
the page.
"""

import re
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path


class DocsPageError(ValueError):
    """The page lacks a block the evaluation writes (or holds one twice)."""


def _block(name: str) -> re.Pattern[str]:
    begin, end = re.escape(f"<!-- luna eval: {name} -->"), re.escape(f"<!-- /luna eval: {name} -->")
    return re.compile(f"({begin}\n)(?:.*?\n)?({end})", re.DOTALL)


def fill_blocks(page: str, blocks: Mapping[str, str]) -> str:
    """`page` with each named block's content replaced by `blocks[name]`."""
    for name, content in blocks.items():
        page = _fill(page, name, content.strip("\n"))
    return page


def _fill(page: str, name: str, content: str) -> str:
    pattern = _block(name)
    found = len(pattern.findall(page))
    if found != 1:
        raise DocsPageError(
            f"the page needs exactly one '<!-- luna eval: {name} -->' ... "
            f"'<!-- /luna eval: {name} -->' block (found {found})"
        )
    lines = content + "\n" if content else ""
    return pattern.sub(lambda m: m.group(1) + lines + m.group(2), page)


def check_page(page: Path, names: Iterable[str]) -> None:
    """Raises DocsPageError unless the page has each block once (before a long run)."""
    fill_blocks(page.read_text(), dict.fromkeys(names, ""))


def update_page(page: Path, blocks: Mapping[str, str], plots: Iterable[Path]) -> None:
    """Fills the page's blocks and copies the plots into its folder."""
    page.write_text(fill_blocks(page.read_text(), blocks))
    for plot in plots:
        shutil.copyfile(plot, page.parent / plot.name)
