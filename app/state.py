"""The session's scenario: kept across pages, written into the address, read back on reload.

One :class:`~pbr_fairness.scenario.Scenario` per browser session is the source of truth for
every page's settings. Widgets are seeded from it when they are (re)created, so that a
setting survives a visit to another page, and every run writes the scenario's code into the
address (``?s=...``), so that a reload or a copied address brings the same scenario back.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from pbr_fairness.errors import InputError
from pbr_fairness.scenario import Scenario, scenario_code, scenario_from_code

#: Query parameter holding the scenario's code.
QUERY = "s"
_KEY = "scenario"
#: A plain dict in the session that holds the latest scenario (read by deferred downloads,
#: which run outside the script and cannot use ``st.session_state``).
_BOX = "scenario_box"
#: Prefixes of the widget keys seeded from the scenario (cleared when a new one is opened).
WIDGET_PREFIXES = ("designer_", "provider_", "tariff_", "distance_", "audit_opt_", "tariffs_")


def box() -> dict[str, Any]:
    """Return the session's scenario holder (a plain dict shared with deferred downloads)."""
    if _BOX not in st.session_state:
        st.session_state[_BOX] = {}
    holder: dict[str, Any] = st.session_state[_BOX]
    return holder


def current() -> Scenario:
    """Return the session's scenario: kept in the session, else read from the address."""
    if _KEY not in st.session_state:
        code = st.query_params.get(QUERY, "")
        try:
            scenario = scenario_from_code(code)
        except InputError as exc:
            st.session_state["scenario_problem"] = str(exc)
            scenario = Scenario()
        st.session_state[_KEY] = scenario
        box()["scenario"] = scenario
    value: Scenario = st.session_state[_KEY]
    return value


def update(scenario: Scenario) -> None:
    """Make ``scenario`` the session's scenario and write its code into the address."""
    st.session_state[_KEY] = scenario
    box()["scenario"] = scenario
    sync()


def sync() -> None:
    """Write the session's scenario code into the address (removed for the default)."""
    code = scenario_code(current())
    if code:
        if st.query_params.get(QUERY) != code:
            st.query_params[QUERY] = code
    elif QUERY in st.query_params:
        del st.query_params[QUERY]


def replace(scenario: Scenario) -> None:
    """Open another scenario: forget every widget seeded from the old one."""
    for key in list(st.session_state.keys()):
        if str(key).startswith(WIDGET_PREFIXES):
            del st.session_state[key]
    update(scenario)


def seed(key: str, value: Any) -> None:
    """Give a widget its value from the scenario when it is (re)created."""
    if key not in st.session_state:
        st.session_state[key] = value


def replace_keys(keys: tuple[str, ...]) -> None:
    """Forget some widgets' values so that they are seeded from the scenario again."""
    for key in keys:
        st.session_state.pop(key, None)
