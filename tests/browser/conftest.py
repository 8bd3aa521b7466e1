"""Fixtures for the real-browser tests: a ``streamlit run`` server and headless Chromium.

The server runs ``app/streamlit_app.py`` on 127.0.0.1 at a free port as a subprocess and is
stopped after the session. Chromium is Debian's ``/usr/bin/chromium`` driven by Playwright
(never ``playwright install``). Without it, every browser test is skipped with the reason.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "tests" / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_TIMEOUT = 90.0


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip browser tests when Chromium or Playwright is absent (CI installs Chromium)."""
    reason = None
    if not CHROMIUM.exists():
        reason = "needs /usr/bin/chromium (apt-get install chromium; .ci/run installs it)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "needs the playwright Python package (pip install -e '.[dev]')"
    if reason:
        for item in items:
            if "browser" in item.keywords:
                item.add_marker(pytest.mark.skip(reason=reason))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited early with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"streamlit did not answer at {url} within {timeout:.0f} s")


def _model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped distance model, or a small one trained here when it is not prepared."""
    shipped = ROOT / "models" / "default"
    if shipped.is_dir() and any(shipped.glob("*.json")):
        return shipped
    from pbr_fairness.caseload.generator import make_caseload
    from pbr_fairness.distance import DistanceModel

    caseload = make_caseload(5000, rng=99, providers=4)
    out = tmp_path_factory.mktemp("model")
    DistanceModel(rng=1).fit(caseload, caseload["job_outcome"]).save(out)
    return out


@pytest.fixture(scope="session")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start ``streamlit run app/streamlit_app.py`` on a free local port; yield its URL."""
    if not CHROMIUM.exists():
        pytest.skip("needs /usr/bin/chromium")
    port = _free_port()
    log_path = tmp_path_factory.mktemp("streamlit") / "server.log"
    env = {
        **os.environ,
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        # small in-memory caseloads keep the pages quick in tests
        "PBR_FAIRNESS_APP_CASELOAD_N": os.environ.get("PBR_FAIRNESS_APP_CASELOAD_N", "5000"),
        "PBR_FAIRNESS_APP_EVALUATION_N": os.environ.get("PBR_FAIRNESS_APP_EVALUATION_N", "3000"),
        "PBR_FAIRNESS_APP_MODEL_DIR": str(_model_dir(tmp_path_factory)),
    }
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app/streamlit_app.py",
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(url, proc, SERVER_START_TIMEOUT)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
    if proc.returncode not in (0, -15, 143, None):
        print(log_path.read_text(errors="replace")[-3000:])


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Yield a headless Chromium (Debian's) driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser, app_url: str) -> Iterator[object]:
    """Yield a fresh browser page (1400 x 1000) with downloads allowed."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    context.set_default_timeout(60_000)
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Directory for screenshots (git-ignored test artefacts), emptied at the session start."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()
    return SCREENSHOTS
