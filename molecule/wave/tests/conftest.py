"""Make tests/support and the collection importable from the scenario's testinfra tests."""

import sys
from pathlib import Path

TOP = Path(__file__).resolve().parents[3]
for path in (TOP, TOP / "collections"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
