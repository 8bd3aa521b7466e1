"""Real-browser tests: Debian's Chromium against ``streamlit run`` on 127.0.0.1.

One server and one browser for the whole session (see ``conftest.py``); each test opens its
own browser context (a new session, as a new user). Screenshots of every page at 1280x720
and 1920x1080 go to ``tests/artifacts/screenshots/`` (git-ignored test artefacts).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from pbr_fairness.scenario import InstrumentSearchState, Scenario, TariffState, scenario_code

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "synthetic" / "sample_caseload.csv"
SIZES = {"1280x720": (1280, 720), "1920x1080": (1920, 1080)}
#: A scenario whose fairer-tariff search has been asked for (opens the result directly).
TARIFF_RUN = scenario_code(Scenario(tariff=TariffState(run=True)))
#: A scenario whose instrument search (yardstick only) has been asked for.
INSTRUMENTS_RUN = scenario_code(Scenario(tariff=TariffState(
    search="instruments",
    instruments=InstrumentSearchState(families=("yardstick",), min_margin_percent=25, run=True),
)))
#: Every page: its path, its heading and text that shows it has finished its first run.
PAGES = {
    "home": ("", "pbr-fairness", "Three steps"),
    "contract_designer": ("contract_designer", "Contract designer", "Download the report (HTML)"),
    "fairer_tariff": (f"fairer_tariff?s={TARIFF_RUN}", "Fairer tariff", "The proposed tariff"),
    "caseload_audit": ("caseload_audit", "Caseload audit", "Findings"),
    "distance_model": ("distance_model", "Distance model", "bootstrap 95% interval"),
    "glossary": ("glossary", "Glossary", "Proportionate universalism"),
    "about": ("about", "About: where every number comes from", "Privacy"),
}
#: What a number in a table may look like once formatted for people.
FORMATTED = re.compile(
    r"^(?:[-+]?£[\d,]+(?:\.\dm)?|[-+]?\d{1,3}(?:,\d{3})*(?:\.\d{1,2})?%?|[-+]?\d+\.\d points|"
    r"< 0\.001|\d\.\d\d \(\d\.\d\d to \d\.\d\d\))$"
)
TRUNCATED_JS = """
() => [...document.querySelectorAll(
    "[data-testid='stMetric'] *, [data-testid='stTable'] th, [data-testid='stTable'] td,"
    + " [data-testid='stButton'] button *, [data-testid='stDownloadButton'] button *,"
    + " [data-testid='stMarkdownContainer'] p")]
  .filter(e => e.offsetParent !== null && e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1)
  .map(e => (e.closest('[data-testid]') || e).getAttribute('data-testid') + ': '
            + e.innerText.slice(0, 60) + ' (' + e.scrollWidth + ' > ' + e.clientWidth + ')')
"""


def _wait_idle(page) -> None:
    """Wait until Streamlit has finished running the script."""
    page.wait_for_selector("[data-testid='stApp']")
    page.wait_for_timeout(400)
    page.wait_for_function(
        "() => !document.querySelector(\"[data-testid='stStatusWidgetRunningIcon']\")"
        " && !document.querySelector(\"[data-stale='true']\")",
        timeout=180_000,
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
    """Screenshot the viewport, then the whole page (Streamlit scrolls inside its container)."""
    _charts_drawn(page)
    page.mouse.move(1, 1)  # no tooltip left open over the page
    page.wait_for_timeout(300)
    width, height = page.viewport_size["width"], page.viewport_size["height"]
    page.screenshot(path=str(path))
    full = page.evaluate(
        "() => { const m = document.querySelector(\"[data-testid='stMain']\") ||"
        " document.querySelector('section.main');"
        " return m ? m.scrollHeight : document.body.scrollHeight; }"
    )
    page.set_viewport_size({"width": width, "height": max(height, min(int(full) + 40, 9000))})
    page.wait_for_timeout(700)  # let charts redraw at the new size
    _charts_drawn(page)
    page.screenshot(path=str(path.with_name(path.stem + "_full.png")), full_page=True)
    page.set_viewport_size({"width": width, "height": height})


def _no_exception(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0
    assert "Traceback" not in page.content()


def _headlines(page, n: int = 5) -> dict[str, str]:
    page.wait_for_function(
        "(n) => [...document.querySelectorAll(\"[data-testid='stMetricValue']\")]"
        ".filter(e => e.innerText.trim()).length >= n",
        arg=n,
        timeout=60_000,
    )
    page.wait_for_timeout(500)
    out = {}
    for m in page.locator("[data-testid='stMetric']").all():
        label = m.locator("[data-testid='stMetricLabel']").inner_text().strip()
        out[label] = m.locator("[data-testid='stMetricValue']").inner_text().strip()
    return out


def _designer(page, app_url: str, path: str = "contract_designer") -> None:
    _open(page, app_url, path)
    page.get_by_role("button", name="Download the report (HTML)").wait_for(timeout=120_000)
    _wait_idle(page)


def _address_changes(page, before: str) -> None:
    """Wait until the scenario in the address has changed, then until the run has finished."""
    page.wait_for_function("(b) => window.location.href !== b", arg=before, timeout=60_000)
    _wait_idle(page)


def _set_number(page, label: str, value: str) -> None:
    before = page.url
    box = page.get_by_role("spinbutton", name=label)
    box.fill(value)
    box.press("Enter")
    _address_changes(page, before)


def _stable_box(page, locator) -> dict:
    """The element's box once it has stopped moving (the page may still be scrolling)."""
    last = None
    for _ in range(40):
        page.wait_for_timeout(150)
        box = locator.bounding_box()
        if box == last:
            return box
        last = box
    return last


def _edit_fee(page, row: int, column: int, value: str) -> None:
    """Edit one cell of the tariff editor with the keyboard (row and column from 0).

    Tried up to three times: on a loaded machine the grid may take a moment to accept focus.
    """
    before = page.url
    grid = page.locator("[data-testid='stDataFrame']").first
    page.locator("[data-testid='glide-cell-0-0']").first.wait_for(state="attached")
    for attempt in range(3):
        grid.evaluate("e => e.scrollIntoView({block: 'center'})")
        box = _stable_box(page, grid)
        for _ in range(5):  # the first click may only focus the grid; then a cell is selected
            page.mouse.click(box["x"] + 60, box["y"] + 52)  # the first row's first cell
            page.wait_for_timeout(250)
            if page.evaluate("() => document.activeElement.getAttribute('role') === 'gridcell'"):
                break
        for key in ["ArrowRight"] * column + ["ArrowDown"] * row:
            page.keyboard.press(key)
        page.keyboard.press("Enter")
        page.wait_for_timeout(400)
        page.keyboard.press("Control+A")
        page.keyboard.type(value, delay=30)
        page.keyboard.press("Enter")
        try:
            page.wait_for_function(
                "(b) => window.location.href !== b", arg=before, timeout=20_000 * (attempt + 1)
            )
            break
        except Exception:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
    _wait_idle(page)


def _table_cells(page) -> list[str]:
    return [c.strip() for c in page.locator("[data-testid='stTable'] td").all_inner_texts()]


def _drawn_table_cells(page) -> list[str]:
    """The tables' cells once at least one table is drawn (an opened expander draws late)."""
    try:
        page.locator("[data-testid='stTable'] td").first.wait_for(state="visible",
                                                                  timeout=60_000)
    except PlaywrightTimeout:
        pass  # the assertion on the cells says what is missing
    return _table_cells(page)


def _assert_formatted(cells: list[str]) -> None:
    numbers = [c for c in cells if re.search(r"\d", c) and not re.search(r"[A-Za-z]{3,}", c)]
    assert numbers, "the tables hold numbers"
    bad = [c for c in numbers if not FORMATTED.match(c)]
    assert not bad, f"unformatted numbers: {bad[:10]}"


# ----------------------------------------------------------------------------- every page
@pytest.mark.parametrize("size", list(SIZES))
def test_every_page_at_both_sizes_nothing_cut_off(browser, app_url, screenshots, size) -> None:
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(180_000)
    page = context.new_page()
    try:
        for name, (path, heading, ready) in PAGES.items():
            _open(page, app_url, path)
            page.get_by_role("heading", name=heading).first.wait_for()
            if name == "caseload_audit":
                page.get_by_role("button", name="Try the sample caseload").click()
            page.get_by_text(ready).first.wait_for(timeout=240_000)
            _wait_idle(page)
            _no_exception(page)
            if name == "contract_designer":
                page.get_by_role("radio", name="Side by side").click()
                _wait_idle(page)
            truncated = page.evaluate(TRUNCATED_JS)
            _shot(page, screenshots / f"{name}_{size}.png")
            assert not truncated, f"{name} at {size}: cut off: {truncated}"
    finally:
        context.close()


# ----------------------------------------------------------------------------- scenarios
def test_scenario_survives_navigation_and_reload(page, app_url, screenshots) -> None:
    _designer(page, app_url)
    _edit_fee(page, row=6, column=2, value="5000")  # PG7's job-outcome fee
    _set_number(page, "Cost of an hour of support (£)", "25")
    summary = page.locator("[data-testid='stAlert']").first.inner_text()
    assert "Raising PG7 ESA ex-IB's job-outcome fee from £3,500 to £5,000" in summary
    before = _headlines(page)
    page.locator("[data-testid='stSidebarNav']").get_by_text("About", exact=True).click()
    page.get_by_role("heading", name="About: where every number comes from").wait_for()
    _wait_idle(page)
    assert "s=" in page.url  # the scenario stays in the address on every page
    page.locator("[data-testid='stSidebarNav']").get_by_text("Contract designer").click()
    page.get_by_text("What the provider does under this contract").wait_for()
    _wait_idle(page)
    assert page.get_by_role("spinbutton", name="Cost of an hour of support (£)").input_value() == (
        "25.00"
    )
    assert _headlines(page) == before
    page.reload(wait_until="domcontentloaded")
    page.get_by_text("What the provider does under this contract").wait_for()
    _wait_idle(page)
    assert page.get_by_role("spinbutton", name="Cost of an hour of support (£)").input_value() == (
        "25.00"
    )
    assert _headlines(page) == before
    assert page.locator("[data-testid='stAlert']").first.inner_text() == summary
    _shot(page, screenshots / "designer_after_reload.png")


def test_copied_address_reproduces_the_headlines_in_a_fresh_context(
    browser, page, app_url, screenshots
) -> None:
    _designer(page, app_url)
    page.get_by_role("combobox", name="Preset contract").click()
    page.get_by_role("option", name="work_programme_2014").click()
    _wait_idle(page)
    page.get_by_text("What the provider does under this contract").wait_for()
    _set_number(page, "Mission weight (0 = pure profit, 1 = planner)", "0.3")
    address = page.url
    assert "?s=" in address
    expected = _headlines(page)
    fresh = browser.new_context(viewport={"width": 1280, "height": 720})
    fresh.set_default_timeout(120_000)
    try:
        other = fresh.new_page()
        other.goto(address, wait_until="domcontentloaded")
        other.get_by_role("button", name="Download the report (HTML)").wait_for()
        _wait_idle(other)
        assert _headlines(other) == expected
        assert other.get_by_role("spinbutton", name=re.compile("Mission weight")).input_value() == (
            "0.30"
        )
        _shot(other, screenshots / "designer_from_copied_address.png")
    finally:
        fresh.close()


def test_three_user_scenarios_side_by_side(page, app_url, screenshots) -> None:
    _designer(page, app_url)
    for name, cost in (("Dearer hours", "25"), ("Cheaper hours", "15")):
        _set_number(page, "Cost of an hour of support (£)", cost)
        field = page.get_by_role("textbox", name="Name of a variant to keep")
        field.fill(name)
        field.press("Enter")
        _wait_idle(page)
        page.get_by_role("button", name="Save this scenario as a variant").click()
        page.get_by_text(f"Saved '{name}'").wait_for()
        _wait_idle(page)
    _edit_fee(page, row=6, column=2, value="5000")
    select = page.get_by_role("combobox", name=re.compile("Compare with"))
    for name in ("Dearer hours", "Cheaper hours"):
        option = page.get_by_role("option", name=name)
        for _ in range(4):  # after an edit the page may still be redrawing: open it again
            select.click()
            try:
                option.wait_for(timeout=5_000)
                break
            except PlaywrightTimeout:
                page.keyboard.press("Escape")
                _wait_idle(page)
        option.click()
        _wait_idle(page)
    page.keyboard.press("Escape")
    page.get_by_role("radio", name="Side by side").click()
    _wait_idle(page)
    _no_exception(page)
    headers = [h.strip() for h in page.locator("[data-testid='stTable'] th").all_inner_texts()]
    for column in ("This scenario", "Dearer hours", "Cheaper hours", "Change: This scenario",
                   "Change: Dearer hours", "Change: Cheaper hours"):
        assert column in headers, (column, headers)
    _charts_drawn(page)
    page.get_by_role("radio", name="Hours by distance").click()
    _wait_idle(page)
    _charts_drawn(page)
    colours = page.evaluate(
        "() => [...document.querySelectorAll(\"[data-testid='stPlotlyChart'] .scatterlayer"
        " .trace path.js-line\")].map(p => p.style.stroke)"
    )
    assert len(set(colours)) >= 4, colours  # baseline and three scenarios: distinct colours
    _shot(page, screenshots / "designer_three_scenarios.png")


# ----------------------------------------------------------------------------- formatting
def test_every_number_in_the_designers_and_tariffs_tables_is_formatted(
    page, app_url, screenshots
) -> None:
    _designer(page, app_url)
    _edit_fee(page, row=6, column=2, value="5000")
    page.get_by_role("radio", name="Side by side").click()
    _wait_idle(page)
    page.get_by_text("Results by decile of distance from work").click()
    _wait_idle(page)
    _assert_formatted(_drawn_table_cells(page))
    _open(page, app_url, f"fairer_tariff?s={TARIFF_RUN}")
    page.get_by_text("The proposed tariff").wait_for(timeout=240_000)
    _wait_idle(page)
    for label in ("By payment group", "By decile of distance from work"):
        page.get_by_text(label).first.click()
        _wait_idle(page)
    cells = _drawn_table_cells(page)
    _assert_formatted(cells)
    assert any(c.startswith("Band 1 (furthest from work): chance below") for c in cells)
    _shot(page, screenshots / "fairer_tariff_tables_open.png")


# ----------------------------------------------------------------------------- audit
@pytest.mark.skipif(not SAMPLE.exists(), reason="needs data/synthetic/sample_caseload.csv")
def test_audit_unmatched_column_tells_the_user_what_to_do(
    page, app_url, screenshots, tmp_path
) -> None:
    frame = pd.read_csv(SAMPLE).rename(columns={"provider_id": "org_code"})
    frame["sex"] = frame["sex"].map({"F": "female", "M": "male", "X": "other"})
    upload = tmp_path / "my_caseload.csv"
    frame.to_csv(upload, index=False)
    _open(page, app_url, "caseload_audit")
    page.get_by_text("Upload a caseload, or try the sample caseload.").wait_for()
    page.locator("[data-testid='stMain'] [data-testid='stFileUploader'] input[type='file']") \
        .set_input_files(str(upload))
    page.get_by_text("Match a column to provider_id in the table above").wait_for(timeout=120_000)
    _wait_idle(page)
    _no_exception(page)
    assert page.get_by_text("no problems found").count() == 0
    assert page.get_by_text("Auditing the caseload").count() == 0
    assert page.get_by_text("not matched: needed").count() >= 1
    _shot(page, screenshots / "audit_unmatched_column.png")


@pytest.mark.skipif(not SAMPLE.exists(), reason="needs data/synthetic/sample_caseload.csv")
def test_audit_upload_and_report_download(page, app_url, screenshots, tmp_path) -> None:
    _open(page, app_url, "caseload_audit")
    page.get_by_text("Upload a caseload, or try the sample caseload.").wait_for()
    page.locator("[data-testid='stMain'] [data-testid='stFileUploader'] input[type='file']") \
        .set_input_files(str(SAMPLE))
    page.get_by_role("heading", name="Findings").wait_for(timeout=120_000)
    _wait_idle(page)
    _no_exception(page)
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
    page.goto(report.as_uri())  # the report opens offline in the browser
    page.screenshot(path=str(screenshots / "audit_report.png"), full_page=True)


# ----------------------------------------------------------------------------- downloads
def test_designer_downloads_results_report_and_scenario(page, app_url, screenshots, tmp_path):
    _designer(page, app_url)
    _set_number(page, "Cost of an hour of support (£)", "60")
    _no_exception(page)
    with page.expect_download() as info:
        page.get_by_role("button", name="Download the results (CSV)").click()
    text = Path(info.value.path()).read_text()
    assert text.startswith("contract,breakdown,group,measure,value")
    with page.expect_download() as info:
        page.get_by_role("button", name="Save the scenario (YAML)").click()
    scenario_text = Path(info.value.path()).read_text()
    assert "cost_per_hour: 60.0" in scenario_text
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name="Download the report (HTML)").click()
    html = Path(info.value.path()).read_text(encoding="utf-8")
    assert "<html" in html.lower() and "Findings" in html
    report = tmp_path / "contract_report.html"
    report.write_text(html, encoding="utf-8")
    page.goto(report.as_uri())
    page.locator(".plotly-graph-div .main-svg").first.wait_for()
    page.screenshot(path=str(screenshots / "designer_report.png"), full_page=True)


def test_fairer_tariff_opens_in_the_designer(page, app_url, screenshots) -> None:
    _open(page, app_url, f"fairer_tariff?s={TARIFF_RUN}")
    page.get_by_text("The proposed tariff").wait_for(timeout=240_000)
    _wait_idle(page)
    _no_exception(page)
    page.get_by_role("button", name="Open in the contract designer").click()
    page.get_by_text("What the provider does under this contract").wait_for(timeout=120_000)
    _wait_idle(page)
    _no_exception(page)
    first = page.locator("[data-testid='glide-cell-0-0']")  # the editor's accessible table
    first.wait_for(state="attached")
    assert first.inner_text().startswith("Band 1 (furthest): chance below")
    _shot(page, screenshots / "designer_with_proposal.png")


def test_instrument_proposal_is_shown_beside_its_checks(page, app_url, screenshots) -> None:
    _open(page, app_url, f"fairer_tariff?s={INSTRUMENTS_RUN}")
    page.get_by_role("heading", name="Robustness checks").wait_for(timeout=240_000)
    _wait_idle(page)
    _no_exception(page)
    proposal = _stable_box(page, page.get_by_role("heading", name="The proposal"))
    checks = _stable_box(page, page.get_by_role("heading", name="Robustness checks"))
    assert checks["x"] > proposal["x"] + proposal["width"] / 2  # beside, not below
    assert abs(checks["y"] - proposal["y"]) < 40
    _assert_formatted([re.sub(r"(?<=\d)x$", "", c) for c in _table_cells(page)])  # 1.20x
    truncated = page.evaluate(TRUNCATED_JS)
    _shot(page, screenshots / "fairer_tariff_instruments.png")
    assert not truncated, f"cut off: {truncated}"
