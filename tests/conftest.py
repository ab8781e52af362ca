"""Make the checkout importable as ansible_collections.kommunal.umzug for every test."""

import sys
from pathlib import Path

COLLECTIONS = Path(__file__).resolve().parent.parent / "collections"
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))
