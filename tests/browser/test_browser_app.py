"""Real-browser tests: Debian's Chromium against ``streamlit run`` on 127.0.0.1."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def _wait_idle(page) -> None:
    """Wait until Streamlit has finished running the script."""
    page.wait_for_selector("[data-testid='stApp']")
    page.wait_for_function(
        "() => !document.querySelector(\"[data-testid='stStatusWidgetRunningIcon']\")",
        timeout=120_000,
    )


def _open(page, app_url: str, path: str = "") -> None:
    page.goto(f"{app_url}/{path}", wait_until="domcontentloaded")
    _wait_idle(page)


def test_home_page(page, app_url, screenshots) -> None:
    _open(page, app_url)
    page.get_by_text("Three steps").wait_for()
    page.get_by_text("Who it is for").wait_for()
    assert page.locator("[data-testid='stException']").count() == 0
    page.screenshot(path=str(screenshots / "home.png"), full_page=True)
    # the navigation lists every page
    nav = page.locator("[data-testid='stSidebarNav']")
    for name in ("Contract designer", "Fairer tariff", "Caseload audit", "Distance model", "About"):
        assert nav.get_by_text(name, exact=True).count() == 1, name
    assert re.search("pbr-fairness", page.title())
