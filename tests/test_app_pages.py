"""Streamlit AppTest checks of every page: it loads, its main interaction works, numbers move.

The pages run in-process through the real router (``app/streamlit_app.py``) on a small
in-memory default caseload (``PBR_FAIRNESS_APP_CASELOAD_N``) so that the file stays fast.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("streamlit.testing.v1")
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app" / "streamlit_app.py")
SAMPLE = ROOT / "data" / "synthetic" / "sample_caseload.csv"
N_PEOPLE = 4000
TIMEOUT = 180


@pytest.fixture(autouse=True)
def _small_caseload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PBR_FAIRNESS_APP_CASELOAD_N", str(N_PEOPLE))
    monkeypatch.setenv("PBR_FAIRNESS_APP_EVALUATION_N", str(N_PEOPLE))


def _page(page: str | None = None, **state: object) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    if page is not None:
        at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _texts(at: AppTest) -> str:
    return "\n".join(str(m.value) for m in [*at.markdown, *at.caption, *at.info, *at.error])


def test_home_page_loads() -> None:
    at = _page()
    assert at.title[0].value == "pbr-fairness"
    text = _texts(at)
    for needle in (
        "Three steps",
        "Commissioners",
        "Auditors",
        "Default caseload",
        "Distance model",
    ):
        assert needle in text or needle in [h.value for h in at.subheader], needle
    assert not at.error


def test_about_page_lists_sources() -> None:
    at = _page("about")
    assert not at.error
    labels = [e.label for e in at.expander]
    assert any("work_programme_2011" in lab for lab in labels)
    # presets + provider + planner + generator tables
    assert len(at.dataframe) >= 4
    generator = [d.value for d in at.dataframe if "parameter" in d.value.columns]
    assert generator and {"kind", "text"} <= set(generator[0].columns)
    assert len(generator[0]) >= 10


def _edit(row: int, column: str, value: float) -> dict:
    return {"edited_rows": {row: {column: value}}, "added_rows": [], "deleted_rows": []}


def _frame_with(at: AppTest, *columns: str):
    for d in at.dataframe:
        value = d.value
        if set(columns) <= set(value.columns):
            return value
    raise AssertionError(f"no table with columns {columns}")


def _by_group(at: AppTest):
    return _frame_with(at, "group", "parked_share").set_index("group")


def test_designer_loads_with_headlines() -> None:
    at = _page("contract_designer")
    assert not at.error, [e.value for e in at.error]
    assert not any(m.delta for m in at.metric)  # same contract as the baseline: no changes
    assert [m.label for m in at.metric] == [
        "Job-outcome rate",
        "Additional jobs",
        "Cost per additional job",
        "Parked share",
        "Government spend",
    ]
    assert len(at.data_editor) == 1
    assert len(at.get("plotly_chart")) == 1  # only the chosen view is drawn
    for view in ("Parked by group", "Outcomes by group", "Gaps by characteristic"):
        at.button_group(key="designer_view").set_value(view).run()
        assert not at.exception and not at.error, view
        assert len(at.get("plotly_chart")) == 1, view


def test_designer_raising_pg7_fee_lowers_pg7_parked_share() -> None:
    at = _page("contract_designer")
    before = _by_group(at)
    fees = at.data_editor[0].value.set_index("tariff")
    row = list(fees.index).index("PG7")
    at.session_state["tariffs-work_programme_2011"] = _edit(
        row, "job_outcome_fee", 4 * fees.loc["PG7", "job_outcome_fee"]
    )
    at.run()
    assert not at.exception and not at.error
    after = _by_group(at)
    assert after.loc["PG7", "parked_share"] < before.loc["PG7", "parked_share"]
    assert after.loc["PG7", "hours_per_person"] > before.loc["PG7", "hours_per_person"]
    # the headline changes against the (unchanged) baseline are now shown
    assert any(m.delta for m in at.metric)


def test_designer_bad_fee_and_bad_setting_show_messages() -> None:
    at = _page("contract_designer")
    at.session_state["tariffs-work_programme_2011"] = _edit(0, "attachment_fee", -5.0)
    at.run()
    assert not at.exception
    assert at.error, "a negative fee must give an error message"
    problems = _frame_with(at, "row", "column", "problem")
    assert "attachment_fee" in set(problems["column"])


def test_designer_compares_three_contracts() -> None:
    at = _page("contract_designer")
    at.multiselect(key="designer_compare").set_value(["work_programme_2014"]).run()
    at.button_group(key="designer_view").set_value("Side by side").run()
    assert not at.exception and not at.error
    table = _frame_with(at, "Baseline: work_programme_2011", "work_programme_2014")
    assert table.shape[1] == 3


def test_designer_capacity_below_minimum_is_a_message() -> None:
    at = _page("contract_designer")
    at.number_input(key="provider_capacity_hours").set_value(0.5).run()
    assert not at.exception
    assert any("capacity" in e.value for e in at.error)


def test_audit_page_bad_upload_shows_problem_table() -> None:
    at = _page("caseload_audit")
    bad = b"person_id,payment_group,age\n1,PG1,30\n1,PG99,-3\n"
    at.file_uploader(key="audit_upload").set_value(("bad.csv", bad, "text/csv")).run()
    assert not at.exception
    assert at.error, "a bad caseload must give an error message"
    problems = _frame_with(at, "row", "column", "problem")
    assert len(problems) >= 2


@pytest.mark.skipif(not SAMPLE.exists(), reason="needs data/synthetic/sample_caseload.csv")
def test_audit_page_sample_caseload() -> None:
    at = _page("caseload_audit")
    at.button(key="audit_sample").click().run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    assert any("Findings" == s.value for s in at.subheader)
    assert len(at.dataframe) >= 2


MODEL_DIR = ROOT / "models" / "default"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped model, or a small one trained here when it is not prepared."""
    if MODEL_DIR.is_dir() and any(MODEL_DIR.glob("*.json")):
        return MODEL_DIR
    from pbr_fairness.caseload.generator import make_caseload
    from pbr_fairness.distance import DistanceModel

    caseload = make_caseload(5000, rng=99, providers=4)
    out = tmp_path_factory.mktemp("model")
    DistanceModel(rng=1).fit(caseload, caseload["job_outcome"]).save(out)
    return out


def test_distance_page_shows_metrics_and_calibration(
    model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PBR_FAIRNESS_APP_MODEL_DIR", str(model_dir))
    at = _page("distance_model")
    assert at.title[0].value.startswith("Distance")
    assert not at.error, [e.value for e in at.error]
    labels = [m.label for m in at.metric]
    assert labels[:4] == ["AUC", "AUC / best possible", "Brier score", "Calibration error"]
    auc = float(at.metric[0].value)
    assert 0.6 < auc < 0.95
    assert float(at.metric[1].value.rstrip("%")) > 85  # close to the best possible
    at.selectbox(key="distance_by").set_value("disability").run()
    assert not at.exception and not at.error


def test_fairer_tariff_page_runs_and_opens_in_designer() -> None:
    at = _page("fairer_tariff")
    assert at.title[0].value == "Fairer tariff"
    assert not at.error
    at.button[0].click().run()  # "Find a fairer tariff" (the form's submit button)
    assert not at.exception and not at.error, [e.value for e in at.error]
    metrics = {m.label: m for m in at.metric}
    assert "Worst parked share" in metrics
    # a fairer tariff parks fewer people in the worst-off group than the baseline
    assert metrics["Worst parked share"].delta.startswith("-")
    spend_delta = metrics["Government spend"].delta
    assert spend_delta is None or not spend_delta.startswith("+£") or "m" not in spend_delta
    assert len(at.get("plotly_chart")) == 1  # the frontier
    before_after = _frame_with(at, "section", "baseline", "proposed", "change")
    assert len(before_after) > 10
    at.button(key="tariff_open").click().run()
    assert not at.exception
    assert at.session_state["proposed_contract"]
    # the designer now starts from the proposal and compares it with the baseline
    assert at.title[0].value == "Contract designer"
    assert at.radio(key="designer_start").value == "The fairer tariff's proposal"
    assert not at.error, [e.value for e in at.error]
    assert any(m.delta for m in at.metric)


@pytest.mark.skipif(not (MODEL_DIR / "model.txt").exists(), reason="needs models/default")
def test_designer_band_preset_and_model_knowledge() -> None:
    at = _page("contract_designer")
    at.selectbox(key="designer_preset").set_value("distance_bands_example").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "band" in at.caption[0].value or "distance band" in _texts(at)
    at.radio(key="provider_knows").set_value("model").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any(m.delta for m in at.metric)  # a different contract from the baseline


def test_audit_page_parking_demo_flags_the_parking_provider() -> None:
    at = _page("caseload_audit")
    at.button(key="audit_demo").click().run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    flagged = [w.value for w in at.warning]
    assert flagged and "P3" in flagged[0]


@pytest.mark.skipif(not SAMPLE.exists(), reason="needs data/synthetic/sample_caseload.csv")
def test_audit_page_maps_other_column_names_from_parquet(tmp_path: Path) -> None:
    import io

    import pandas as pd

    frame = pd.read_csv(SAMPLE).rename(
        columns={"person_id": "client_id", "sex": "Gender", "provider_id": "provider",
                 "support_hours": "hours"}
    )
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    at = _page("caseload_audit")
    at.file_uploader(key="audit_upload").set_value(
        ("mine.parquet", buf.getvalue(), "application/octet-stream")
    ).run()
    assert not at.exception
    mapping = _frame_with(at, "your column", "maps to").set_index("your column")["maps to"]
    assert mapping["client_id"] == "person_id"
    assert mapping["Gender"] == "sex"
    assert mapping["provider"] == "provider_id"
    assert mapping["hours"] == "support_hours"
    assert not at.error, [e.value for e in at.error]
    assert any(s.value == "Findings" for s in at.subheader)


def test_fairer_tariff_uses_the_provider_set_in_the_designer() -> None:
    at = _page("contract_designer")
    at.number_input(key="provider_cost_per_hour").set_value(25.0).run()
    assert dict(at.session_state["designer_provider"])["cost_per_hour"] == 25.0
    at.switch_page("views/fairer_tariff.py").run()
    at.button[0].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "cost per hour 25" in _texts(at)
