"""How the Streamlit app is started: the project's settings, usage statistics always off.

Streamlit reads ``.streamlit/config.toml`` from the *working directory*, so ``streamlit run``
started anywhere else would fall back to its defaults, which send usage statistics.
``pbr-fairness app`` (and ``make app``) therefore passes every setting of
:data:`APP_SETTINGS` on the command line and in the environment, wherever it is started, and
the app itself calls :func:`telemetry_problem` when it starts and refuses to run when usage
statistics are on. The library never imports Streamlit: the app hands over its
``st.get_option``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

__all__ = [
    "APP_SETTINGS",
    "TELEMETRY_OPTION",
    "app_script",
    "streamlit_command",
    "streamlit_environment",
    "telemetry_problem",
]

#: The option that turns Streamlit's usage statistics on or off.
TELEMETRY_OPTION = "browser.gatherUsageStats"

#: The app's Streamlit settings (the same as the repository's ``.streamlit/config.toml``).
APP_SETTINGS: dict[str, bool | int | str] = {
    TELEMETRY_OPTION: False,
    "server.headless": True,
    "server.maxUploadSize": 200,
    "server.runOnSave": False,
    "client.showErrorDetails": "none",
    "client.toolbarMode": "minimal",
    "runner.magicEnabled": False,
    "theme.base": "light",
}


def app_script() -> Path:
    """Return the path of the app's entry script, ``app/streamlit_app.py`` of the repository.

    Returns
    -------
    pathlib.Path
        An absolute path (it need not exist: an installed package ships no app).
    """
    return Path(__file__).resolve().parents[1] / "app" / "streamlit_app.py"


def _flag(value: bool | int | str) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def streamlit_command(
    *, address: str = "127.0.0.1", port: int = 8501, python: str = sys.executable
) -> list[str]:
    """Return the command that starts the app with the project's settings.

    Parameters
    ----------
    address : str, default "127.0.0.1"
        Address the server listens on.
    port : int, default 8501
        Port.
    python : str, default sys.executable
        The interpreter.

    Returns
    -------
    list of str

    Examples
    --------
    >>> cmd = streamlit_command(port=8600)
    >>> cmd[cmd.index("--browser.gatherUsageStats") + 1], cmd[cmd.index("--server.port") + 1]
    ('false', '8600')
    """
    cmd = [python, "-m", "streamlit", "run", str(app_script()),
           "--server.address", address, "--server.port", str(int(port))]
    for key, value in APP_SETTINGS.items():
        cmd += [f"--{key}", _flag(value)]
    return cmd


def streamlit_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return the environment for the app's server: usage statistics off there too.

    Parameters
    ----------
    base : mapping, optional
        The environment to start from (default: this process's).

    Returns
    -------
    dict of str to str

    Examples
    --------
    >>> streamlit_environment({})["STREAMLIT_BROWSER_GATHER_USAGE_STATS"]
    'false'
    """
    env = dict(os.environ if base is None else base)
    for key, value in APP_SETTINGS.items():
        section, _, name = key.partition(".")
        snake = "".join(f"_{c}" if c.isupper() else c for c in name).upper()
        env[f"STREAMLIT_{section.upper()}_{snake}"] = _flag(value)
    return env


def telemetry_problem(get_option: Callable[[str], object]) -> str | None:
    """Return why the app must not run with Streamlit's current settings, or ``None``.

    Parameters
    ----------
    get_option : callable
        ``streamlit.get_option``.

    Returns
    -------
    str or None
        A message when usage statistics are on (or cannot be read).

    Examples
    --------
    >>> telemetry_problem({"browser.gatherUsageStats": False}.get) is None
    True
    >>> print(telemetry_problem({"browser.gatherUsageStats": True}.get))  # doctest: +ELLIPSIS
    Streamlit's usage statistics are on ...
    """
    try:
        value = get_option(TELEMETRY_OPTION)
    except Exception:
        value = None
    if value is False:
        return None
    return (
        "Streamlit's usage statistics are on (browser.gatherUsageStats), so the app does not"
        " run: it must not send anything about its users. Start it with `pbr-fairness app` or"
        " `make app`, or pass --browser.gatherUsageStats false to streamlit run."
    )
