"""A throwaway LEAN workspace for end-to-end strategy tests: lean.json, generated data/, storage/, and copies
of one algorithm project and its notebook (Library/ is linked), so tests never touch the repository's folders."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def make_workspace(root: Path, strategy: str) -> Path:
    (root / "lean.json").write_text(json.dumps({"data-folder": "data"}))
    (root / "Library").symlink_to(REPO / "Library")
    shutil.copytree(REPO / "algorithms" / strategy, root / "algorithms" / strategy,
                    ignore=shutil.ignore_patterns("backtests"))
    (root / "research").mkdir()
    shutil.copy(REPO / "research" / f"{strategy}.ipynb", root / "research")
    shutil.copy(REPO / "research" / "config.json", root / "research")
    return root
