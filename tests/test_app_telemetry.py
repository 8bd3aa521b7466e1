"""Telemetry off wherever the app starts: ``pbr-fairness app`` and the app's own check."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest

from pbr_fairness.appserver import APP_SETTINGS, app_script, streamlit_command, telemetry_problem
from pbr_fairness.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_the_settings_are_those_of_the_repository_config():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    flat = {f"{section}.{key}": value for section, body in config.items()
            for key, value in body.items()}
    assert flat == APP_SETTINGS
    assert APP_SETTINGS["browser.gatherUsageStats"] is False


def test_the_app_command_passes_every_setting_from_any_folder(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no .streamlit/config.toml here
    assert main(["app", "--print-command", "--port", "8599"]) == 0
    out = capsys.readouterr().out
    assert str(app_script()) in out and app_script().is_absolute()
    assert "--browser.gatherUsageStats false" in out
    for key in APP_SETTINGS:
        assert f"--{key} " in out, key


@pytest.mark.parametrize("args", [["--port", "0"], ["--port", "70000"], ["--address", ""]])
def test_the_app_command_refuses_bad_options(capsys, args):
    assert main(["app", "--print-command", *args]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_the_app_refuses_to_run_with_usage_statistics_on():
    pytest.importorskip("streamlit.testing.v1")
    from streamlit import config
    from streamlit.testing.v1 import AppTest

    before = config.get_option("browser.gatherUsageStats")
    try:
        config.set_option("browser.gatherUsageStats", True)
        at = AppTest.from_file(str(app_script()), default_timeout=60).run()
        assert at.error and "usage statistics" in at.error[0].value
        assert not at.sidebar.caption  # nothing else ran
    finally:
        config.set_option("browser.gatherUsageStats", before)
    assert telemetry_problem(lambda _name: False) is None
    assert telemetry_problem(lambda _name: 1 / 0) is not None  # unreadable counts as on


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_app_starts_from_another_folder(tmp_path):
    port = _free_port()
    cmd = [sys.executable, "-m", "pbr_fairness", "app", "--port", str(port)]
    env = {**os.environ, "PBR_FAIRNESS_APP_CASELOAD_N": "2000"}
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",
                                            timeout=2) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert proc.poll() is None, (tmp_path / "server.log").read_text()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.5)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()
    started = streamlit_command(port=port)
    assert "--browser.gatherUsageStats" in started
