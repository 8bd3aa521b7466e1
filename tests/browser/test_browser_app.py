"""Real-browser tests: Debian's Chromium against ``streamlit run`` on 127.0.0.1.

Screenshots go to ``tests/artifacts/screenshots/`` (git-ignored test artefacts).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "synthetic" / "sample_caseload.csv"
PAGES = {
    "": "pbr-fairness",
    "contract_designer": "Contract designer",
    "fairer_tariff": "Fairer tariff",
    "caseload_audit": "Caseload audit",
    "distance_model": "Distance model",
    "about": "About: where every number comes from",
}
#: Text that shows a page has finished its first run.
READY = {
    "contract_designer": "Download the report (HTML)",
    "fairer_tariff": "Choose the settings and press",
    "caseload_audit": "Upload a caseload, or try the sample caseload.",
    "distance_model": "bootstrap 95% interval",
    "about": "Privacy",
}


def _wait_idle(page) -> None:
    """Wait until Streamlit has finished running the script."""
    page.wait_for_selector("[data-testid='stApp']")
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => !document.querySelector(\"[data-testid='stStatusWidgetRunningIcon']\")",
        timeout=120_000,
    )


def _open(page, app_url: str, path: str = "") -> None:
    page.goto(f"{app_url}/{path}", wait_until="domcontentloaded")
    _wait_idle(page)


def _charts_drawn(page) -> None:
    """Wait until every plotly chart on the page has drawn its SVG (charts load lazily)."""
    page.wait_for_function(
        "() => [...document.querySelectorAll(\"[data-testid='stPlotlyChart']\")]"
        ".every(c => c.querySelector('.main-svg'))",
        timeout=60_000,
    )


def _shot(page, path: Path) -> None:
    """Screenshot the whole page (Streamlit scrolls inside its own container)."""
    _charts_drawn(page)
    height = page.evaluate(
        "() => { const m = document.querySelector(\"[data-testid='stMain']\") ||"
        " document.querySelector('section.main');"
        " return m ? m.scrollHeight : document.body.scrollHeight; }"
    )
    width = page.viewport_size["width"]
    page.set_viewport_size({"width": width, "height": max(1000, min(int(height) + 40, 6000))})
    page.wait_for_timeout(1500)  # let charts redraw at the new size
    _charts_drawn(page)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": width, "height": 1000})


def _no_exception(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0
    assert "Traceback" not in page.content()


def test_home_page(page, app_url, screenshots) -> None:
    _open(page, app_url)
    page.get_by_text("Three steps").wait_for()
    page.get_by_text("Who it is for").wait_for()
    _no_exception(page)
    _shot(page, screenshots / "home.png")
    nav = page.locator("[data-testid='stSidebarNav']")
    for name in ("Contract designer", "Fairer tariff", "Caseload audit", "Distance model", "About"):
        assert nav.get_by_text(name, exact=True).count() == 1, name
    assert re.search("pbr-fairness", page.title())


@pytest.mark.parametrize("path", [p for p in PAGES if p])
def test_every_page_opens(page, app_url, screenshots, path: str) -> None:
    _open(page, app_url, path)
    page.get_by_role("heading", name=PAGES[path]).first.wait_for()
    page.get_by_text(READY[path]).first.wait_for(timeout=120_000)
    _wait_idle(page)
    _no_exception(page)
    _shot(page, screenshots / f"{path}.png")


def _metric_value(page, label: str) -> str:
    metric = page.locator("[data-testid='stMetric']").filter(has_text=label).first
    return metric.locator("[data-testid='stMetricValue']").inner_text()


def test_designer_runs_and_follows_a_change(page, app_url, screenshots, tmp_path) -> None:
    _open(page, app_url, "contract_designer")
    page.get_by_text("What the provider does under this contract").wait_for()
    _wait_idle(page)
    before = _metric_value(page, "Government spend")
    # make support dearer: the provider gives fewer hours and the figures move
    box = page.get_by_role("spinbutton", name="Cost of an hour of support (£)")
    box.fill("60")
    box.press("Enter")
    _wait_idle(page)
    page.wait_for_function(
        "(b) => { const m = [...document.querySelectorAll(\"[data-testid='stMetric']\")]"
        ".find(e => e.innerText.includes('Government spend'));"
        " return m && !m.innerText.includes(b); }",
        arg=before,
        timeout=60_000,
    )
    _no_exception(page)
    _shot(page, screenshots / "designer_after_change.png")
    # the results download works
    with page.expect_download() as info:
        page.get_by_role("button", name="Download the results (CSV)").click()
    text = Path(info.value.path()).read_text()
    assert text.startswith("contract,breakdown,group,measure,value")
    # the report downloads and opens offline
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name="Download the report (HTML)").click()
    html = Path(info.value.path()).read_text(encoding="utf-8")
    assert "<html" in html.lower() and "Findings" in html
    report = tmp_path / "contract_report.html"
    report.write_text(html, encoding="utf-8")
    page.goto(report.as_uri())
    page.locator(".plotly-graph-div .main-svg").first.wait_for()
    page.screenshot(path=str(screenshots / "designer_report.png"), full_page=True)


@pytest.mark.skipif(not SAMPLE.exists(), reason="needs data/synthetic/sample_caseload.csv")
def test_audit_upload_and_report_download(page, app_url, screenshots, tmp_path) -> None:
    _open(page, app_url, "caseload_audit")
    page.get_by_text("Upload a caseload, or try the sample caseload.").wait_for()
    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(SAMPLE))
    page.get_by_role("heading", name="Findings").wait_for(timeout=120_000)
    _wait_idle(page)
    _no_exception(page)
    _shot(page, screenshots / "audit_results.png")
    page.get_by_role("tab", name="Funnel plot").click()
    page.locator("[data-testid='stPlotlyChart']").first.wait_for()
    _shot(page, screenshots / "audit_funnel.png")
    page.get_by_role("tab", name="Report").click()
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name="Download the HTML report").click()
    download = info.value
    assert download.suggested_filename == "audit_report.html"
    html = Path(download.path()).read_text(encoding="utf-8")
    assert "<html" in html.lower()
    assert "person_id" not in html
    report = tmp_path / "report.html"
    report.write_text(html, encoding="utf-8")
    # the report opens offline in the browser
    page.goto(report.as_uri())
    page.screenshot(path=str(screenshots / "audit_report.png"), full_page=False)


def test_fairer_tariff_runs_and_opens_in_designer(page, app_url, screenshots) -> None:
    _open(page, app_url, "fairer_tariff")
    page.get_by_role("button", name="Find a fairer tariff").click()
    page.get_by_text("Frontier: fairness against budget").wait_for(timeout=180_000)
    _wait_idle(page)
    _no_exception(page)
    _shot(page, screenshots / "fairer_tariff_result.png")
    page.get_by_role("button", name="Open in the contract designer").click()
    page.get_by_text("What the provider does under this contract").wait_for(timeout=120_000)
    _wait_idle(page)
    _no_exception(page)
    _shot(page, screenshots / "designer_with_proposal.png")
