"""Unit tests import the collection as ansible_collections.twon.helios from this checkout."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def _collection_root():
    # A fresh symlink tree: ansible_collections/twon/helios -> this checkout, so tests see the working copy.
    root = Path(tempfile.mkdtemp(prefix='helios-unit-collections-'))
    (root / 'ansible_collections' / 'twon').mkdir(parents=True)
    os.symlink(REPO_ROOT, root / 'ansible_collections' / 'twon' / 'helios')
    return root


sys.path.insert(0, str(_collection_root()))
