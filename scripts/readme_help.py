"""Rewrite the README's `trakt-export --help` block from the real CLI (test_docs checks it).

Run: `.venv/bin/python scripts/readme_help.py`
"""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from trakt_export.cli.app import app

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"(<!-- help:start -->\n```\n).*?(```\n<!-- help:end -->)", re.S)


def main() -> None:
    result = CliRunner().invoke(app, ["--help"], prog_name="trakt-export", terminal_width=100)
    text = README.read_text()
    new = BLOCK.sub(lambda m: m.group(1) + result.stdout + m.group(2), text)
    README.write_text(new)
    print("README help block", "updated" if new != text else "already current")


if __name__ == "__main__":
    main()
