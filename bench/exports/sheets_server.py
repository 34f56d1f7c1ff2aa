"""The benchmark's Google Sheets API: the tests' local server (tests/exports/sheets_server.py) in its own process,
with one service account and one spreadsheet it may edit. Prints them as one JSON line, then serves until killed."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.exports.sheets_server import serve_sheets


def main() -> None:
    with serve_sheets() as sheets:
        account = sheets.service_account()
        spreadsheet = sheets.add_spreadsheet([account["client_email"]])
        print(json.dumps({"url": sheets.url, "account": account, "spreadsheet": spreadsheet}), flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
