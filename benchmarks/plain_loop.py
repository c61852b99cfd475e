"""The yardstick: one requests.Session fetching every page, tasks printed as JSON lines.

Usage: plain_loop.py API_URL API_KEY
"""

from __future__ import annotations

import json
import sys

import requests


def main(api_url: str, api_key: str) -> None:
    """Read every page of tasks and write each task as one JSON line to stdout."""
    session = requests.Session()
    session.auth = ("", api_key)
    out = sys.stdout
    page = 0
    while True:
        params = {"page": str(page), "filters": "[]"}
        response = session.get(f"{api_url}/tasks", params=params, timeout=30)
        response.raise_for_status()
        tasks = json.loads(response.content)["results"]
        if not tasks:
            return
        for task in tasks:
            out.write(json.dumps(task) + "\n")
        page += 1


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
