"""Seed a fresh database with N watchlist symbols, candles, prices and one monitor cycle, for
the dashboard's performance test: the same seed as bench/api_load.py (one seed, not two).

    python seed_symbols.py DATABASE_URL N DATA_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from api_load import prepare  # bench/ is not a package: imported by path

if __name__ == "__main__":
    prepare(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]))
