"""Write the API's OpenAPI document (what `create_app().openapi()` returns) for the dashboard.

`make frontend-api` runs it, then regenerates the TypeScript types from the file;
backend/tests/unit/test_frontend_schema.py fails while the committed file is out of date.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from atp.api.app import create_app
from atp.runtime.context import AppContext
from atp.settings import Settings


def main(target: Path) -> None:
    schema = create_app(AppContext(settings=Settings())).openapi()
    target.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {target}")  # noqa: T201 (a build script's one line of output)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
