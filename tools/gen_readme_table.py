"""Regenerate README.md's activation table from the catalog (``pyact list --markdown``).

    python tools/gen_readme_table.py           # rewrite the table in place
    python tools/gen_readme_table.py --check   # exit 1 if README.md is out of date

Run it after adding an activation; tests/test_cli.py fails while the table is stale.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- activation-table:start -->", "<!-- activation-table:end -->"


def render(text: str, table: str) -> str:
    """``text`` with everything between the two markers replaced by ``table``."""
    if START not in text or END not in text:
        raise SystemExit(f"README.md lacks the markers {START} ... {END}")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{table.strip()}\n{END}{tail}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only check, exit 1 when stale")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from pyact.cli import markdown_table

    readme = ROOT / "README.md"
    old = readme.read_text(encoding="utf-8")
    new = render(old, markdown_table())
    if args.check:
        print("README.md is up to date" if new == old else "README.md is stale: run python tools/gen_readme_table.py")
        return 0 if new == old else 1
    if new != old:
        readme.write_text(new, encoding="utf-8")
        print("README.md: activation table regenerated")
    else:
        print("README.md: already up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
