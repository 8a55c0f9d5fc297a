"""Benchmarks use the collection from this checkout as ansible_collections.twon.helios."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def collections_root(root: Path | None = None) -> Path:
    """A collections path (for ANSIBLE_COLLECTIONS_PATH) holding this checkout as twon.helios; a new one by default."""
    root = root or Path(tempfile.mkdtemp(prefix="helios-bench-collections-"))
    (root / "ansible_collections" / "twon").mkdir(parents=True)
    os.symlink(REPO_ROOT, root / "ansible_collections" / "twon" / "helios")
    return root


def add_collection_to_path() -> Path:
    """Make the checkout importable in this process; the collections path it is in."""
    root = collections_root()
    sys.path.insert(0, str(root))
    return root
