"""Benchmark: how fast the review app answers, on this machine.

Measures, each as the median of ``--repeat`` runs:

* **first page ready**: from starting ``rai app`` to the Overview of the audited German credit
  sample visible in headless Chromium (a fresh store each time; the browser is already open, as
  a reviewer's is), and the server's CPU time until then; with ``--restart``, from starting
  ``rai app`` again on the store of a first start (stopped once its sample was loaded);
* **first page with the data and model loaded**: where the first page is the report of the
  helper process ``rai app`` starts, until the page has switched to the run the server loaded
  (the same moment as *first page ready* on a branch without a helper);
* **page switch**: a click in the sidebar until Streamlit reports the run finished, with the
  server's CPU time of the switch;
* **re-render after a widget change**: on the Fairness page, choosing another rate to chart, until
  Streamlit reports the run finished (cached work is not redone);
* **Adult-size audit in the app**: what the app does for an upload of Adult (48,842 rows): read
  the CSV bytes, load the ``.skops`` model, audit against a policy, and explain 2,000 rows with
  SHAP (the Explanations page), as separate steps.

Needs /usr/bin/chromium. Run from the repository root::

    PYTHONPATH=. python benchmarks/app.py   # prints the table of benchmarks/results/app.md
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
Times = dict[str, list[float]]
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _server(
    port: int, home: Path, checkout: Path, extra: dict[str, str]
) -> subprocess.Popen[bytes]:
    env = dict(os.environ, RAI_HOME=str(home), RAI_STORE_URL=f"sqlite:///{home / 's.sqlite'}")
    env["PYTHONPATH"] = str(checkout)
    env.update(extra)
    command = [sys.executable, "-m", "responsible_ai.cli", "app", "--headless"]
    command += ["--port", str(port), "--address", "127.0.0.1"]
    return subprocess.Popen(
        command, env=env, cwd=checkout, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


_SCRIPT_STATE = "document.querySelector('[data-testid=stApp]')?.dataset.testScriptState"

#: Before an action: a flag set by any change of the app's script state from then on.
_ARM = """() => {
  const app = document.querySelector('[data-testid=stApp]');
  window.__raiRunSeen = false;
  window.__raiRunObserver?.disconnect();
  window.__raiRunObserver = new MutationObserver(() => { window.__raiRunSeen = true; });
  const watched = {attributes: true, attributeFilter: ['data-test-script-state']};
  window.__raiRunObserver.observe(app, watched);
}"""


def _arm(page) -> None:  # type: ignore[no-untyped-def]
    """Before a click: from now on, note any change of Streamlit's script state (see _idle)."""
    page.evaluate(_ARM)


def _idle(page, armed: bool = False) -> None:  # type: ignore[no-untyped-def]
    """Until Streamlit's frontend says the script run has finished.

    The app element's script state attribute changes as soon as the run starts and ends. After
    :func:`_arm` (before the click), until that state has changed since and is "not running":
    the run the click started has ended, however fast it ran. (Waiting up to a second for the
    state "running" instead added that second whenever the run had ended before the wait began:
    Fairness, whose last widget shows only once its script chunk has loaded, always.)
    Unarmed: until the state is "not running" (a run that is under way, or none).
    """
    done = f"{_SCRIPT_STATE} === 'notRunning'"
    if armed:
        done = f"window.__raiRunSeen === true && {done}"
    page.wait_for_function(done, timeout=180_000)


# Each page switch: the sidebar link clicked, then the page's title (and a text of its own) there,
# then Streamlit reporting the run finished. Explanations computes SHAP values (up to 2,000 rows).
SWITCHES: tuple[tuple[str, str | None], ...] = (
    ("Fairness", "Rate to chart"),
    ("Explanations", "Global importance"),
    ("Review", None),
    ("History", None),
    ("Overview", "Checks that need attention"),
)


def _server_cpu(pid: int, children: bool = False) -> float:
    """CPU seconds (user + system) the server process has used so far (Linux ``/proc``);
    with ``children``, those of its ended child processes (the sample's helper) too.

    Steadier than wall time on a shared machine; the server runs Streamlit and the sample audit
    in one process, so this is all the app's own work (with the helper, where there is one).
    """
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


#: Seconds between the loaded Overview and the first click (``--read``; 0: at once).
READ_SECONDS = 0.0
#: ``--restart``: time a second start of ``rai app`` on the store of a first one.
RESTART = False

#: What the Overview says while it shows the helper's report (branches with a helper only).
LOADING = "Its data and model are still loading"


def _one_session(page, port: int, started: float, times: Times, side: str, pid: int) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"http://127.0.0.1:{port}/")
    page.get_by_text("Checks that need attention").wait_for(timeout=180_000)
    times[f"first page ready (audited Overview visible){side}"].append(
        time.perf_counter() - started
    )
    times[f"server CPU until the first page was visible{side}"].append(_server_cpu(pid))
    # With a helper, the first page is its report until the server has loaded the sample's data
    # and model: the switches below are timed from then on (as before, when the first page came
    # with them), so that they measure a page switch, not the audit running beside it.
    page.get_by_text(LOADING).wait_for(state="detached", timeout=180_000)
    _idle(page)
    times[f"first page with the data and model loaded{side}"].append(time.perf_counter() - started)
    times[f"server CPU until then{side}"].append(_server_cpu(pid))
    times[f"server and helper CPU until then{side}"].append(_server_cpu(pid, children=True))
    time.sleep(READ_SECONDS)  # the reviewer reads the Overview before the first click (--read)
    for name, shown in SWITCHES:
        _arm(page)
        clicked, cpu = time.perf_counter(), _server_cpu(pid)
        page.get_by_role("link", name=name, exact=True).click()
        page.get_by_role("heading", name=name).first.wait_for(timeout=180_000)
        if shown:
            page.get_by_text(shown).first.wait_for(timeout=180_000)
        _idle(page, armed=True)
        times[f"page switch to {name}{side}"].append(time.perf_counter() - clicked)
        times[f"server CPU of the switch to {name}{side}"].append(_server_cpu(pid) - cpu)
        if name == "Fairness":
            chart = page.get_by_test_id("stSelectbox").nth(1)
            for rate in ("selection rate", "accuracy", "base rate"):
                if rate in chart.inner_text():
                    continue  # choosing the rate already shown starts no run
                chart.click()
                _arm(page)
                clicked = time.perf_counter()
                page.get_by_role("option", name=rate, exact=True).click()
                _idle(page, armed=True)
                times[f"re-render after a widget change (Fairness chart){side}"].append(
                    time.perf_counter() - clicked
                )


Side = tuple[Path, dict[str, str]]  # a checkout, and environment variables for its server


def measure_app(repeat: int, checkouts: dict[str, Side]) -> Times:
    """Every browser figure, per checkout; the checkouts take turns in each round.

    The browser is started before ``rai app`` (a reviewer's browser is open already, and
    ``rai app`` opens a tab in it): its own start is not counted, on either side.
    """
    from playwright.sync_api import sync_playwright

    times: Times = defaultdict(list)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        try:
            for _ in range(repeat):
                for label, (checkout, extra) in checkouts.items():
                    side = f" ({label})" if len(checkouts) > 1 else ""
                    page = browser.new_page(viewport={"width": 1400, "height": 1200})
                    _one_round(page, checkout, extra, times, side)
                    page.close()
        finally:
            browser.close()
    return dict(sorted(times.items(), key=lambda item: _ORDER.index(item[0].split(" (")[0])))


def _first_start(page, checkout: Path, extra: dict[str, str], home: Path) -> None:  # type: ignore[no-untyped-def]
    """Start ``rai app`` on ``home`` until its Overview shows the loaded sample, then stop it."""
    port = _port()
    server = _server(port, home, checkout, extra)
    try:
        for _ in range(1200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.05)
        page.goto(f"http://127.0.0.1:{port}/")
        page.get_by_text("Checks that need attention").wait_for(timeout=180_000)
        page.get_by_text(LOADING).wait_for(state="detached", timeout=180_000)
        _idle(page)
    finally:
        server.terminate()
        server.wait(15)


def _one_round(page, checkout: Path, extra: dict[str, str], times: Times, side: str) -> None:  # type: ignore[no-untyped-def]
    with tempfile.TemporaryDirectory() as home:
        if RESTART:
            _first_start(page, checkout, extra, Path(home))
            page.goto("about:blank")
        port = _port()
        started = time.perf_counter()
        server = _server(port, Path(home), checkout, extra)
        try:
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                    break
                except OSError:
                    time.sleep(0.05)
            times[f"server answering (health check){side}"].append(time.perf_counter() - started)
            _one_session(page, port, started, times, side, server.pid)
        finally:
            server.terminate()
            server.wait(15)


_ORDER = [
    "server answering",
    "first page ready",
    "server CPU until the first page was visible",
    "first page with the data and model loaded",
    "server CPU until then",
    "server and helper CPU until then",
    *[
        f"{kind} {name}"
        for name, _ in SWITCHES
        for kind in ("page switch to", "server CPU of the switch to")
    ],
    "re-render after a widget change",
]


def measure_adult(repeat: int) -> dict[str, list[float]]:
    from responsible_ai.audit_run import run_audit
    from responsible_ai.datasets import sample_data_dir
    from responsible_ai.reference_models import save_reference_model
    from responsible_ai.uploads import load_uploaded_model, read_uploaded_table

    with tempfile.TemporaryDirectory() as directory:
        model_path = save_reference_model("adult", Path(directory))
        model_bytes = model_path.read_bytes()
    csv_bytes = (sample_data_dir() / "adult.csv").read_bytes()
    policy = (ROOT / "policies" / "eeoc-four-fifths.yaml").read_text()
    steps: dict[str, list[float]] = {
        "read the uploaded CSV (48,842 rows)": [],
        "load the uploaded .skops model": [],
        "audit (four-fifths by sex and race)": [],
        "explain 2,000 rows with SHAP": [],
        "total": [],
    }
    try:
        from responsible_ai.explain import explain
    except ImportError:
        explain = None  # type: ignore[assignment]
    for _ in range(repeat):
        t0 = time.perf_counter()
        frame = read_uploaded_table("adult.csv", csv_bytes)
        t1 = time.perf_counter()
        model = load_uploaded_model("adult.skops", model_bytes)
        t2 = time.perf_counter()
        run = run_audit(
            frame,
            policy,
            policy_name="eeoc-four-fifths.yaml",
            policy_dir=ROOT / "policies",
            model=model,
            target="income_over_50k",
            positive_label=1,
            sensitive=["sex", "race"],
        )
        t3 = time.perf_counter()
        if explain is not None:
            explain(model, run.frame, run.sensitive, features=run.features, rows=2000)
        t4 = time.perf_counter()
        for name, value in zip(steps, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0), strict=True):
            steps[name].append(value)
    if explain is None:
        steps.pop("explain 2,000 rows with SHAP")
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--before", type=Path, metavar="PATH", help="another checkout to time")
    parser.add_argument("--app-only", action="store_true", help="skip the Adult-size steps")
    parser.add_argument(
        "--helper-both",
        action="store_true",
        help="time each checkout with and without the sample's helper process, whatever the load",
    )
    parser.add_argument(
        "--read",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait this long on the loaded Overview before the first page switch (a reviewer "
        "reading it; the Explanations figures are drawn ahead meanwhile)",
    )
    parser.add_argument(
        "--restart",
        action="store_true",
        help="time a second start of rai app on the store of a first one (stopped once loaded)",
    )
    args = parser.parse_args()
    global READ_SECONDS, RESTART
    READ_SECONDS = args.read
    RESTART = args.restart
    # rai app audits the sample in a helper process only where a core is idle; on a busy
    # machine the benchmark times both ways of this checkout.
    checkouts: dict[str, Side] = {"this checkout": (ROOT, {})}
    if args.helper_both:
        checkouts = {
            "this checkout, helper": (ROOT, {"RAI_APP_SAMPLE_HELPER": "1"}),
            "this checkout, no helper": (ROOT, {"RAI_APP_SAMPLE_HELPER": "0"}),
        }
    if args.before is not None:
        checkouts["before"] = (args.before.resolve(), {})
        if args.helper_both:  # the same two ways: otherwise the load decides for that side
            checkouts.pop("before")
            for way, flag in (("helper", "1"), ("no helper", "0")):
                checkouts[f"before, {way}"] = (
                    args.before.resolve(),
                    {"RAI_APP_SAMPLE_HELPER": flag},
                )
    load_before = os.getloadavg()[0]
    app = measure_app(args.repeat, checkouts)
    adult = {} if args.app_only else measure_adult(args.repeat)
    load_after = os.getloadavg()[0]
    lines = [
        "| measure | median (s) | min (s) | max (s) |",
        "|---|---:|---:|---:|",
    ]
    for name, values in {**app, **adult}.items():
        lines.append(
            f"| {name} | {statistics.median(values):.2f} | {min(values):.2f} | {max(values):.2f} |"
        )
    print("\n".join(lines))
    print(f"load average {load_before:.1f} before, {load_after:.1f} after")


if __name__ == "__main__":
    main()
