"""`rai app` prints where the app is and nothing of Streamlit's own start-up noise."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOISE = (
    "Did not auto detect external IP",
    "Email",
    "Uvicorn server started",
    "gatherUsageStats",
    "Network URL",
    "External URL",
    "Traceback",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_rai_app_prints_its_address_and_no_streamlit_noise(tmp_path) -> None:
    home = tmp_path / "home"  # a first run: no ~/.streamlit, where Streamlit would ask for e-mail
    home.mkdir()
    env = dict(os.environ, HOME=str(home), RAI_HOME=str(home / ".rai"))
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    env["RAI_STORE_URL"] = f"sqlite:///{tmp_path / 'store.sqlite'}"
    port = _free_port()
    log = tmp_path / "out.txt"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "responsible_ai.cli", "app", "--headless", "--port", str(port)],
            env=env,
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                assert server.poll() is None, log.read_text()
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                    break
                except OSError:
                    time.sleep(0.2)
            time.sleep(1.0)  # let anything printed after start-up arrive
        finally:
            server.terminate()
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(5)
    printed = log.read_text()
    assert f"URL: http://127.0.0.1:{port}" in printed
    assert [word for word in NOISE if word in printed] == []
    assert not (home / ".streamlit" / "credentials.toml").exists()
