"""Make the checkout importable as ansible_collections.kommunal.umzug, and the test
helpers as tests.support, for every test."""

import sys
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
for path in (TOP / "collections", TOP):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
