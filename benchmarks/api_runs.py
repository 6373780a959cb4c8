"""``GET /v1/runs`` over a store of 2,000 runs: the report-reading list it replaced vs the list
from summary columns, in one run on the same store.

- **before**: the route of the previous commit, as it was: ``store.runs()`` (every run row,
  report JSON included) then ``store.run_record`` for each listed run, filtering in Python;
- **after**: ``GET /v1/runs`` through FastAPI's TestClient (HTTP included), which reads the
  summary columns, the findings' statuses and the reviews, and also computes each run's review
  state (the old list did not).

Every tenth run has a review (a rejection), so states are derived from real records. Run from
the repository root::

    PYTHONPATH=. python benchmarks/api_runs.py [--runs 2000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "api"))


def listed_before(store: Any, policy: str | None, limit: int) -> list[dict[str, Any]]:
    """The list of the previous commit's route (``api/app.py``), verbatim but for names."""
    found: list[dict[str, Any]] = []
    for run_id in store.runs()["run"]:
        record = store.run_record(int(run_id))
        if policy and record.get("policy_name") != policy:
            continue
        found.append({"id": int(record["id"]), "verdict": record.get("verdict")})
        if len(found) >= limit:
            break
    return found


def timed(call: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="rai-bench-"))
    os.environ["RAI_HOME"] = str(folder / "home")
    for name in ("RAI_STORE_URL", "RAI_STORE_KEY", "RAI_STORE_KEY_FILE"):
        os.environ.pop(name, None)

    from api_helpers import failing_report_json, make_team
    from fastapi.testclient import TestClient

    from responsible_ai.api.app import create_app
    from responsible_ai.report import Report
    from responsible_ai.review import Review
    from responsible_ai.store import ReviewStore
    from responsible_ai.store.people import authenticate_token

    team = make_team(folder)
    report = Report.from_dict(failing_report_json())
    started = time.perf_counter()
    with ReviewStore(team.url) as store:
        alice = authenticate_token(store, team.tokens["alice"])
        for number in range(args.runs):
            run = store.save_run(report, f"run {number}")
            if number % 10 == 0:
                store.add_review(Review(run, "reject", "", "no"), alice)
    built = time.perf_counter() - started
    size = Path(team.url.removeprefix("sqlite:///")).stat().st_size
    print(f"store: {args.runs} runs, {size / 1e6:.1f} MB, built in {built:.1f} s")
    print(f"report JSON per run: {len(report.to_json(indent=None)) / 1e3:.1f} kB\n")

    rows = []
    with ReviewStore(team.url) as store, TestClient(create_app(team.url)) as client:
        headers = team.auth("ci")
        for label, policy, limit in (
            ("newest 50", None, 50),
            ("newest 500", None, 500),
            ("policy filter, no match", "no-such-policy", 50),
        ):
            params: dict[str, Any] = {"limit": limit} | ({"policy": policy} if policy else {})
            before, old = timed(
                lambda p=policy, n=limit: listed_before(store, p, n),
                args.repeat,
            )
            after, new = timed(
                lambda q=params: client.get("/v1/runs", params=q, headers=headers).json(),
                args.repeat,
            )
            assert [r["id"] for r in old] == [r["id"] for r in new["runs"]]
            rows.append((label, before, after))
        state, found = timed(
            lambda: client.get(
                "/v1/runs", params={"state": "rejected", "limit": 50}, headers=headers
            ).json(),
            args.repeat,
        )
        assert len(found["runs"]) == 50
    print("| list | before (reads reports) | after (summary columns) | speed-up |")
    print("|---|---:|---:|---:|")
    for label, before, after in rows:
        print(f"| {label} | {before * 1e3:.0f} ms | {after * 1e3:.1f} ms | {before / after:.0f}x |")
    print(f"| state=rejected, 50 (after only) | - | {state * 1e3:.1f} ms | - |")
    print(json.dumps({"runs": args.runs, "repeat": args.repeat}))


if __name__ == "__main__":
    main()
