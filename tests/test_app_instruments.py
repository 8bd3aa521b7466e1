"""AppTest checks of the instruments in the app: the designer edits them and shows what each
pays; the fairer-tariff page searches only the families allowed and shows the checks.

Small in-memory caseload (``PBR_FAIRNESS_APP_CASELOAD_N``), as in ``test_app_pages.py``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("streamlit.testing.v1")
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app" / "streamlit_app.py")
N_PEOPLE = 3000
TIMEOUT = 180
#: A formatted figure: pounds, per cent, a multiple, or words.
FIGURE = re.compile(r"^(?:-?£[\d,]+|-?\d+\.\d%|\d+\.\d\dx|–|yes|no|.*[A-Za-z].*)$")


@pytest.fixture(autouse=True)
def _small_caseload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PBR_FAIRNESS_APP_CASELOAD_N", str(N_PEOPLE))


def _page(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page(f"views/{page}.py").run()
    _ok(at)
    return at


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _table_with(at: AppTest, *columns: str) -> pd.DataFrame:
    for t in at.table:
        if set(columns) <= set(t.value.columns):
            return t.value
    raise AssertionError(f"no table with columns {columns}")


def _payments(at: AppTest) -> pd.Series:
    table = _table_with(at, "Instrument", "This scenario")
    return table.set_index("Instrument")["This scenario"]


def _pounds(text: str) -> float:
    return float(text.replace("£", "").replace(",", ""))


def _key(at: AppTest, kind: str, family: str, field: str) -> str:
    keys = [w.key for w in getattr(at, kind) if w.key and w.key.startswith("designer_inst_")
            and w.key.endswith(f"_{family}_{field}")]
    assert len(keys) == 1, keys
    return keys[0]


# ----------------------------------------------------------------------------- designer
def test_designer_yardstick_rate_edit_changes_its_payments_and_is_kept():
    at = _page("contract_designer")
    at.selectbox(key="designer_preset").set_value("yardstick_primes").run()
    _ok(at)
    row = "Yardstick payments (net across primes) (£)"
    shift = "Market-share shift (value to primes, not spend) (£)"
    before = _payments(at)
    assert {row, shift} <= set(before.index)
    at.number_input(key=_key(at, "number_input", "yardstick", "shift")).set_value(100.0).run()
    _ok(at)
    after = _payments(at)
    assert _pounds(after[shift]) == pytest.approx(2 * _pounds(before[shift]), rel=0.02)
    rate = _key(at, "number_input", "yardstick", "rate")
    at.number_input(key=rate).set_value(3000.0).run()
    _ok(at)
    assert _payments(at)[row] != after[row]
    kept = at.session_state["scenario"].designer.current.contract.instruments
    assert kept.yardstick.rate == 3000.0 and kept.yardstick.share_shift_value == 100.0
    # every cell of the payments table is formatted
    for cell in _table_with(at, "Instrument").astype(str).to_numpy().ravel():
        assert FIGURE.match(cell), cell


def test_designer_adds_an_accelerator_to_the_work_programme_and_shows_what_it_pays():
    at = _page("contract_designer")
    assert not [t for t in at.table if "Instrument" in t.value.columns]  # fees only
    help_text = {e.label: e for e in at.expander}
    assert "Accelerator" in help_text
    assert any("Work and Health Programme" in c.value for c in at.caption)
    at.toggle(key=_key(at, "toggle", "accelerator", "on")).set_value(True).run()
    _ok(at)
    paid = _payments(at)["Accelerator payments (£)"]
    assert _pounds(paid) > 0
    assert any(m.delta for m in at.metric)  # a different contract from the baseline
    at.number_input(key=_key(at, "number_input", "accelerator", "above")).set_value(4000.0).run()
    _ok(at)
    assert _pounds(_payments(at)["Accelerator payments (£)"]) > _pounds(paid)


def test_designer_bad_instrument_is_a_message_naming_the_key_and_keeps_the_results():
    at = _page("contract_designer")
    at.selectbox(key="designer_preset").set_value("accelerator_work_and_health").run()
    _ok(at)
    before = _payments(at)
    at.number_input(key=_key(at, "number_input", "accelerator", "below")).set_value(5000.0).run()
    assert not at.exception
    text = " ".join(e.value for e in at.error)
    assert "fee_above" in text and "instruments" in text
    assert _payments(at).equals(before)  # the last valid instruments


# ----------------------------------------------------------------------------- fairer tariff
def _instrument_search(families: list[str]) -> AppTest:
    at = _page("fairer_tariff")
    at.radio(key="tariff_search").set_value("instruments").run()
    _ok(at)
    assert any("42%" in c.value and "25%" in c.value for c in at.caption)  # the margin note
    at.multiselect(key="tariff_families").set_value(families)
    at.radio(key="tariff_margin_kind").set_value("set")
    at.number_input(key="tariff_margin_percent").set_value(25.0)
    at.button(key="tariff_inst_submit").click().run()
    _ok(at)
    return at


def test_fairer_tariff_searches_only_the_families_allowed_and_shows_the_checks():
    at = _instrument_search(["yardstick"])
    proposals = _table_with(at, "Proposal", "Design", "Worst parked, lower half")
    assert list(proposals["Proposal"]) == [
        "Baseline", "Yardstick between primes alone", "Best found (any combination)"
    ]
    for design in proposals["Design"][1:]:
        assert design.startswith("yardstick between primes")
        for other in ("value-added", "accelerator", "cost-sharing", "funded hours",
                      "assessment"):
            assert other not in design
    checks = _table_with(at, "Check", "Spend / budget")
    assert "Proposal" not in checks.columns  # the chosen proposal's checks, beside it
    assert len(checks) == 6
    assert "Unannounced fall in labour demand (-0.5 on the log-odds)" in set(checks["Check"])
    for frame in (proposals.drop(columns=["Design"]), checks):
        for cell in frame.astype(str).to_numpy().ravel():
            assert FIGURE.match(cell), cell
    assert any(d.label == "Download the report (Markdown)" for d in at.get("download_button"))
    s = at.session_state["scenario"].tariff
    assert s.search == "instruments" and s.instruments.families == ("yardstick",)
    assert s.instruments.min_margin_percent == 25.0
    # another family: the table follows the choice
    at.multiselect(key="tariff_families").set_value(["funded_hours"])
    at.button(key="tariff_inst_submit").click().run()
    _ok(at)
    proposals = _table_with(at, "Proposal", "Design")
    assert list(proposals["Proposal"])[1] == "Commissioner-funded hours alone"
