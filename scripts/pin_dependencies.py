# /// script
# requires-python = ">=3.11"
# dependencies = []
# ///
"""Pin every package Luna installs in pyproject.toml, so installs repeat without a uv.lock.

uv.lock stays out of the repository (it records the package index's address). Instead the
`[tool.uv]` table of pyproject.toml carries exact pins, which `uv lock` and `uv sync` obey:

- `constraint-dependencies`: every package of the resolution for all groups (`uv export
  --all-groups`), with its environment marker, except the direct dependencies already pinned
  with `==` in `[project]` and `[dependency-groups]` (they are pinned there, once);
- `build-constraint-dependencies`: what builds Luna itself (`[build-system] requires` and
  everything it pulls in), for the editable install `uv sync` makes.

    uv run scripts/pin_dependencies.py                  # rewrite the pins: same versions
    uv run scripts/pin_dependencies.py --upgrade idna   # one package to its newest
    uv run scripts/pin_dependencies.py --upgrade-all    # every package not pinned by hand

`uv run` runs it as a script (the header above: standard library only), without syncing the
project first, so it works while pyproject.toml's pins do not resolve (in an upgrade).

A direct dependency is upgraded by editing its `==` in `[project]` or `[dependency-groups]`,
then running this script (adding `--upgrade NAME` for transitive packages it needs newer).
Then `uv sync` installs the result. The script only calls uv; nothing it writes names an index.
"""

import argparse
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
KEYS = ("constraint-dependencies", "build-constraint-dependencies")
NOTE = "# Written by scripts/pin_dependencies.py (README, Dependencies); not edited by hand.\n"
EXPORT = (
    "uv export --frozen --format requirements-txt --all-groups --no-hashes --no-emit-project "
    "--no-header --no-annotate"
).split()


def name_of(requirement: str) -> str:
    """The normalised project name of a PEP 508 requirement (PEP 503)."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    if match is None:
        raise ValueError(f"not a requirement: {requirement!r}")
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


def uv(*args: str) -> str:
    print("+ uv", " ".join(args), file=sys.stderr)
    return subprocess.run(
        ["uv", *args], cwd=ROOT, check=True, text=True, stdout=subprocess.PIPE
    ).stdout


def requirement_lines(text: str) -> list[str]:
    """The requirements of a requirements.txt text; refuses anything that is not a plain pin
    (an index option, a URL, a path), so no index address can reach pyproject.toml."""
    lines = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if any(bad in line for bad in ("://", " @ ", '"')) or line[0] == "-" or "==" not in line:
            raise SystemExit(f"pin_dependencies: not a plain pin, refusing: {line!r}")
        lines.append(line)
    return lines


def hand_pinned(requirements: list) -> set[str]:
    """Names pinned with `==` among some requirements (dependency-group includes skipped)."""
    return {name_of(r) for r in requirements if isinstance(r, str) and "==" in r}


def write_pins(text: str, pins: dict[str, list[str]]) -> str:
    """`text` with the two arrays of [tool.uv] replaced (the table is added if missing)."""
    if not re.search(r"^\[tool\.uv\]$", text, re.M):
        text = text.rstrip("\n") + f"\n\n[tool.uv]\n{NOTE}"
    for key in reversed(KEYS):  # each new array goes first: they end up in KEYS' order
        body = "".join(f'    "{line}",\n' for line in pins[key])
        block = f"{key} = [\n{body}]\n"
        existing = re.compile(rf"^{re.escape(key)} = \[\n.*?^\]\n", re.M | re.S)
        if found := existing.search(text):
            text = text[: found.start()] + block + text[found.end() :]
        else:
            header = re.search(rf"^\[tool\.uv\]\n(?:{re.escape(NOTE)})?", text, re.M)
            assert header is not None
            text = text[: header.end()] + block + text[header.end() :]
    return text


def build_pins(project: dict, keep: list[str], upgrade: list[str]) -> list[str]:
    """The closure of [build-system] requires, for every platform, the kept pins holding."""
    with tempfile.TemporaryDirectory() as tmp:
        source, constraints = Path(tmp) / "build.in", Path(tmp) / "constraints.txt"
        source.write_text("\n".join(project["build-system"]["requires"]) + "\n")
        constraints.write_text("".join(f"{line}\n" for line in keep))
        args = ["pip", "compile", str(source), "-c", str(constraints), "--universal"]
        args += ["--python-version", "3.11", "--no-header", "--no-annotate", "--quiet"]
        for name in upgrade:
            args += ["--upgrade-package", name]
        return requirement_lines(uv(*args))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--upgrade", action="append", default=[], metavar="NAME", help="let NAME move"
    )
    parser.add_argument("--upgrade-all", action="store_true", help="let every pin move")
    options = parser.parse_args()
    upgrade = {name_of(n) for n in options.upgrade}

    original = PYPROJECT.read_text()
    project = tomllib.loads(original)
    current = project.get("tool", {}).get("uv", {})

    def kept(key: str) -> list[str]:
        if options.upgrade_all:
            return []
        return [line for line in current.get(key, []) if name_of(line) not in upgrade]

    # uv lock reads the constraints from pyproject.toml: those allowed to move leave it first.
    loosened = {key: kept(key) for key in KEYS}
    PYPROJECT.write_text(write_pins(original, loosened))
    try:
        lock = ["lock", "--quiet"]
        if options.upgrade_all:
            lock.append("--upgrade")
        for name in sorted(upgrade):
            lock += ["--upgrade-package", name]
        uv(*lock)
        direct = project["project"].get("dependencies", [])
        for group in project.get("dependency-groups", {}).values():
            direct = [*direct, *group]
        runtime = [
            line
            for line in requirement_lines(uv(*EXPORT[1:]))
            if name_of(line) not in hand_pinned(direct)
        ]
        build = [
            line
            for line in build_pins(project, loosened[KEYS[1]], sorted(upgrade))
            if name_of(line) not in hand_pinned(project["build-system"]["requires"])
        ]
    except BaseException:
        PYPROJECT.write_text(original)
        raise
    PYPROJECT.write_text(write_pins(original, {KEYS[0]: runtime, KEYS[1]: build}))
    uv("lock", "--quiet")  # the lock now records the new constraints: `uv sync` finds it fresh
    print(f"pinned {len(runtime)} packages and {len(build)} build packages", file=sys.stderr)


if __name__ == "__main__":
    main()
