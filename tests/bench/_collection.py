"""Benchmarks import the collection from this checkout as ansible_collections.twon.helios."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def add_collection_to_path() -> Path:
    root = Path(tempfile.mkdtemp(prefix="helios-bench-collections-"))
    (root / "ansible_collections" / "twon").mkdir(parents=True)
    os.symlink(REPO_ROOT, root / "ansible_collections" / "twon" / "helios")
    sys.path.insert(0, str(root))
    return root
