"""Make tests/support importable from the scenario's testinfra tests."""

import sys
from pathlib import Path

TOP = Path(__file__).resolve().parents[3]
if str(TOP) not in sys.path:
    sys.path.insert(0, str(TOP))
