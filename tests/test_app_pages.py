"""Streamlit AppTest checks of every page: it loads, its main interaction works, numbers move,
the scenario persists and travels, tables are formatted, messages guide.

The pages run in-process through the real router (``app/streamlit_app.py``) on a small
in-memory default caseload (``PBR_FAIRNESS_APP_CASELOAD_N``) so that the file stays fast.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("streamlit.testing.v1")
from streamlit.testing.v1 import AppTest

from pbr_fairness.labels import MISSING, SUPPRESSED
from pbr_fairness.scenario import read_scenario, scenario_from_code, scenario_to_yaml

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app" / "streamlit_app.py")
SAMPLE = ROOT / "data" / "synthetic" / "sample_caseload.csv"
MODEL_DIR = ROOT / "models" / "default"
N_PEOPLE = 4000
TIMEOUT = 180
#: What a formatted cell may look like: pounds, per cent, points, plain numbers with
#: thousands separators, p-values, intervals, words.
FORMATTED = re.compile(
    r"^(?:[-+]?£[\d,]+(?:\.\dm)?|[-+]?\d[\d,]*(?:\.\d{1,2})?%?|[-+]?\d+\.\d (?:points)?|"
    r"[-+]?\d+\.\d points|< 0\.001|no change|yes|no|" + re.escape(MISSING) + "|"
    + re.escape(SUPPRESSED) + r"|.*[A-Za-z].*)$"
)
RAW_FLOAT = re.compile(r"\d\.\d{4,}|\d{5,}(?!,)")


@pytest.fixture(autouse=True)
def _small_caseload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PBR_FAIRNESS_APP_CASELOAD_N", str(N_PEOPLE))
    monkeypatch.setenv("PBR_FAIRNESS_APP_EVALUATION_N", str(N_PEOPLE))


def _page(page: str | None = None, query: dict[str, str] | None = None, **state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    if page is not None:
        at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _texts(at: AppTest) -> str:
    return "\n".join(
        str(m.value) for m in [*at.markdown, *at.caption, *at.info, *at.error, *at.warning]
    )


def _table_with(at: AppTest, *columns: str) -> pd.DataFrame:
    for t in [*at.table, *at.dataframe]:
        value = t.value
        if set(columns) <= set(value.columns):
            return value
    raise AssertionError(f"no table with columns {columns}")


def _percent(text: str) -> float:
    return float(text.rstrip("%"))


def _edit(row: int, column: str, value: float) -> dict:
    return {"edited_rows": {row: {column: value}}, "added_rows": [], "deleted_rows": []}


def _edit_fee(at: AppTest, group: str, column: str, factor: float) -> None:
    editor = at.data_editor[0]
    fees = editor.value
    row = list(fees["tariff"]).index(group)
    at.session_state[editor.key] = _edit(row, column, factor * fees.loc[row, column])
    at.run()
    assert not at.exception, [e.value for e in at.exception]


def _scenario(at: AppTest):
    return at.session_state["scenario"]


def _headlines(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


# ----------------------------------------------------------------------------- pages load
def test_home_page_loads() -> None:
    at = _page()
    assert at.title[0].value == "pbr-fairness"
    text = _texts(at)
    for needle in ("Three steps", "Commissioners", "Auditors", "Default caseload", "Glossary"):
        assert needle in text or needle in [h.value for h in at.subheader], needle
    assert not at.error


def test_about_page_lists_sources() -> None:
    at = _page("about")
    assert not at.error
    labels = [e.label for e in at.expander]
    assert any("work_programme_2011" in lab for lab in labels)
    assert len(at.dataframe) >= 4  # presets + provider + planner + generator tables
    generator = [d.value for d in at.dataframe if "parameter" in d.value.columns]
    assert generator and {"kind", "text"} <= set(generator[0].columns)


def test_glossary_defines_the_terms_the_help_links_to() -> None:
    at = _page("glossary")
    names = [h.value for h in at.subheader]
    for term in ("Parking", "Creaming", "Deadweight", "Cost per additional job", "Planner gap",
                 "AUC", "Calibration error", "Oracle"):
        assert term in names, term
    designer = _page("contract_designer")
    anchors = set(re.findall(r"\(/glossary#([a-z0-9-]+)\)",
                             "\n".join(str(m.help) for m in designer.metric)))
    assert anchors, "every headline's help links to the glossary"
    from pbr_fairness.glossary import anchor

    assert anchors <= {anchor(n) for n in names}


# ----------------------------------------------------------------------------- designer
def test_designer_loads_with_headlines_and_a_sentence() -> None:
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
    assert at.info[0].value.startswith("Under work_programme_2011,")
    for m in at.metric:
        assert "Glossary" in m.help or "glossary" in m.help
        assert "Change: against the baseline" in m.help
    assert len(at.data_editor) == 1
    names = at.data_editor[0].value["label"].tolist()
    assert names[6] == "PG7 ESA ex-IB"  # payment groups carry their names
    assert len(at.get("plotly_chart")) == 1  # only the chosen view is drawn
    for view in ("parked", "outcomes", "gaps"):
        at.button_group(key="designer_view").set_value(view).run()
        assert not at.exception and not at.error, view
        assert len(at.get("plotly_chart")) == 1, view


def test_designer_view_toggle_cannot_be_emptied() -> None:
    at = _page("contract_designer")
    at.button_group(key="designer_view").set_value("gaps").run()
    at.button_group(key="designer_view").set_value(None).run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 1
    assert _scenario(at).designer.view == "gaps"


def test_designer_raising_pg7_fee_lowers_pg7_parked_share_and_says_so() -> None:
    at = _page("contract_designer")
    before = _table_with(at, "Payment group", "Parked share (%)").set_index("Payment group")
    _edit_fee(at, "PG7", "job_outcome_fee", 4)
    assert not at.error
    after = _table_with(at, "Payment group", "Parked share (%)").set_index("Payment group")
    pg7 = "PG7 ESA ex-IB"
    column = "Parked share (%)"
    assert _percent(after.loc[pg7, column]) < _percent(before.loc[pg7, column])
    assert any(m.delta for m in at.metric)
    sentence = at.info[0].value
    assert sentence.startswith("Raising PG7 ESA ex-IB's job-outcome fee from £3,500 to £14,000")
    assert "people parked in PG7 ESA ex-IB" in sentence and "government spend" in sentence
    edits = _scenario(at).designer.current.contract.edits
    assert edits["PG7"].job_outcome_fee == 14000.0


def test_designer_tables_are_formatted_for_people() -> None:
    at = _page("contract_designer")
    _edit_fee(at, "PG7", "job_outcome_fee", 2)
    at.button_group(key="designer_view").set_value("side_by_side").run()
    at.expander[0]  # the decile table is behind an expander
    assert len(at.table) >= 3
    for t in at.table:
        for column in t.value.columns:
            name = re.sub(r"work_programme_\d+", "", str(column))
            assert "_" not in name, column  # never a snake_case name
        for cell in t.value.astype(str).to_numpy().ravel():
            assert FORMATTED.match(cell), cell
            assert not RAW_FLOAT.search(cell.replace(",", "")) or "£" in cell, cell


def test_designer_bad_fee_and_bad_setting_show_messages_and_keep_results() -> None:
    at = _page("contract_designer")
    editor = at.data_editor[0]
    at.session_state[editor.key] = _edit(0, "attachment_fee", -5.0)
    at.run()
    assert not at.exception
    assert at.error, "a negative fee must give an error message"
    problems = _table_with(at, "Row", "Column", "Problem")
    assert "attachment_fee" in set(problems["Column"])
    assert len(at.metric) == 5  # the results of the last valid tariff stay


def test_designer_capacity_below_minimum_is_a_message_not_a_blank_page() -> None:
    at = _page("contract_designer")
    at.number_input(key="provider_capacity_hours").set_value(0.5).run()
    assert not at.exception
    text = " ".join(e.value for e in at.error)
    assert "Hours available per person" in text and "capacity_hours" not in text
    assert len(at.metric) == 5


def test_designer_compares_three_of_the_users_scenarios() -> None:
    at = _page("contract_designer")
    _edit_fee(at, "PG7", "job_outcome_fee", 2)
    at.text_input(key="designer_variant_name").set_value("Double PG7").run()
    at.button(key="designer_save").click().run()
    at.number_input(key="provider_cost_per_hour").set_value(25.0).run()
    at.text_input(key="designer_variant_name").set_value("Dearer hours").run()
    at.button(key="designer_save").click().run()
    _edit_fee(at, "PG5", "job_outcome_fee", 3)
    saved = [v.name for v in _scenario(at).designer.saved]
    assert saved == ["Double PG7", "Dearer hours"]
    at.multiselect(key="designer_compare").set_value(["Double PG7", "Dearer hours"]).run()
    at.button_group(key="designer_view").set_value("side_by_side").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    table = _table_with(at, "Measure", "This scenario", "Double PG7", "Dearer hours")
    assert {"Change: This scenario", "Change: Double PG7", "Change: Dearer hours"} <= set(
        table.columns
    )
    assert "Baseline: work_programme_2011" in table.columns
    spend = table.set_index("Measure").loc["Government spend (£)"]
    assert len({spend["This scenario"], spend["Double PG7"], spend["Dearer hours"]}) == 3


@pytest.mark.skipif(not (MODEL_DIR / "model.txt").exists(), reason="needs models/default")
def test_designer_band_preset_and_model_knowledge() -> None:
    at = _page("contract_designer")
    at.selectbox(key="designer_preset").set_value("distance_bands_example").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "band 1 = furthest from work" in _texts(at)
    labels = at.data_editor[0].value["label"].tolist()
    assert labels[0].startswith("Band 1 (furthest): chance below")
    at.radio(key="provider_knows").set_value("model").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any(m.delta for m in at.metric)  # a different contract from the baseline


# ----------------------------------------------------------------------------- scenarios
def test_scenario_survives_navigation() -> None:
    at = _page("contract_designer")
    _edit_fee(at, "PG7", "job_outcome_fee", 5000 / 3500)
    at.number_input(key="provider_cost_per_hour").set_value(25.0).run()
    before = _headlines(at)
    at.switch_page("views/about.py").run()
    at.switch_page("views/contract_designer.py").run()
    assert not at.exception
    assert at.number_input(key="provider_cost_per_hour").value == 25.0
    fees = at.data_editor[0].value.set_index("tariff")
    assert fees.loc["PG7", "job_outcome_fee"] == 5000.0
    assert _headlines(at) == before


def test_scenario_address_reproduces_the_numbers_in_a_new_session() -> None:
    at = _page("contract_designer")
    _edit_fee(at, "PG7", "job_outcome_fee", 5000 / 3500)
    at.number_input(key="provider_cost_per_hour").set_value(25.0).run()
    code = at.query_params["s"]
    code = code[0] if isinstance(code, list) else code
    assert scenario_from_code(code) == _scenario(at)
    fresh = _page("contract_designer", query={"s": code})
    assert fresh.number_input(key="provider_cost_per_hour").value == 25.0
    assert _headlines(fresh) == _headlines(at)


def test_damaged_address_is_a_message_and_the_default_scenario() -> None:
    at = _page("contract_designer", query={"s": "1garbage!"})
    assert any("cut short" in w.value for w in at.sidebar.warning)
    assert at.info[0].value.startswith("Under work_programme_2011,")


def test_scenario_file_round_trip_through_the_sidebar() -> None:
    at = _page("contract_designer")
    _edit_fee(at, "PG7", "job_outcome_fee", 2)
    at.number_input(key="provider_mission_weight").set_value(0.3).run()
    text = scenario_to_yaml(_scenario(at))
    assert read_scenario(text) == _scenario(at)
    fresh = _page("contract_designer")
    fresh.sidebar.file_uploader(key="scenario_upload").set_value(
        ("mine.yaml", text.encode(), "application/x-yaml")
    ).run()
    fresh.run()
    assert not fresh.exception
    assert fresh.number_input(key="provider_mission_weight").value == 0.3
    assert _headlines(fresh) == _headlines(at)


def test_a_bad_scenario_file_is_a_message_naming_the_key() -> None:
    at = _page("contract_designer")
    at.sidebar.file_uploader(key="scenario_upload").set_value(
        ("bad.yaml", b"designer: {viw: gaps}\n", "application/x-yaml")
    ).run()
    assert not at.exception
    assert any("designer.viw" in w.value and "unknown key" in w.value for w in at.sidebar.warning)


# ----------------------------------------------------------------------------- fairer tariff
def test_fairer_tariff_page_runs_and_opens_in_designer() -> None:
    at = _page("fairer_tariff")
    assert at.title[0].value == "Fairer tariff"
    assert not at.error
    at.button[0].click().run()  # "Find a fairer tariff" (the form's submit button)
    assert not at.exception and not at.error, [e.value for e in at.error]
    metrics = {m.label: m for m in at.metric}
    assert metrics["Worst parked share"].delta.startswith("-")
    assert len(at.get("plotly_chart")) == 1  # the frontier
    overall = _table_with(at, "Measure", "Baseline", "Proposed", "Change")
    assert len(overall) <= 12  # summarised; the detail is behind expanders
    assert "Government spend (£)" in set(overall["Measure"])
    proposed = _table_with(at, "Group or band", "Job-outcome fee (£)")
    assert proposed["Group or band"].iloc[0].startswith("Band 1 (furthest from work): chance")
    assert "furthest from work" in proposed["Group or band"].iloc[0]
    assert _scenario(at).tariff.run
    at.button(key="tariff_open").click().run()
    assert not at.exception
    assert at.title[0].value == "Contract designer"
    assert at.radio(key="designer_start").value == "proposal"
    assert not at.error, [e.value for e in at.error]
    assert any(m.delta for m in at.metric)
    assert _scenario(at).designer.current.contract.origin == "proposal"


def test_fairer_tariff_result_is_honest_when_a_limit_is_missed() -> None:
    at = _page("fairer_tariff")
    at.slider(key="tariff_budget").set_value(70)
    at.slider(key="tariff_max_parked").set_value(0)
    at.button[0].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert not any("Fairer tariff found" in s.label for s in at.status)
    headline = {m.label: m.value for m in at.metric}["Worst parked share"]
    warning = " ".join(w.value for w in at.warning)
    assert "does not meet every limit" in warning
    assert f"worst {headline} against a cap of 0.0%" in warning
    checks = _table_with(at, "Limit", "Met", "Figures")
    assert "no" in set(checks["Met"])
    assert any("attachment fee is set to £0" in m.value for m in at.markdown)


def test_fairer_tariff_uses_the_provider_set_in_the_designer() -> None:
    at = _page("contract_designer")
    at.number_input(key="provider_cost_per_hour").set_value(25.0).run()
    at.switch_page("views/fairer_tariff.py").run()
    at.button[0].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "cost per hour 25" in _texts(at)


def test_fairer_tariff_settings_survive_navigation() -> None:
    at = _page("fairer_tariff")
    at.slider(key="tariff_budget").set_value(90)
    at.button[0].click().run()
    at.switch_page("views/about.py").run()
    at.switch_page("views/fairer_tariff.py").run()
    assert at.slider(key="tariff_budget").value == 90
    assert len(at.metric) == 4  # the result is shown again, not the empty form


# ----------------------------------------------------------------------------- audit
def test_audit_page_bad_upload_shows_problem_table_sorted_by_row() -> None:
    at = _page("caseload_audit")
    bad = b"person_id,payment_group,provider_id,job_outcome,age\n1,PG99,P1,1,30\n1,PG1,P1,0,-3\n"
    at.file_uploader(key="audit_upload").set_value(("bad.csv", bad, "text/csv")).run()
    assert not at.exception
    assert at.error, "a bad caseload must give an error message"
    problems = _table_with(at, "Row", "Column", "Problem")
    rows = [int(r) for r in problems["Row"] if r]
    assert len(problems) >= 2 and rows == sorted(rows)
    assert not any("--" in p for p in problems["Problem"])  # no command-line options


@pytest.mark.skipif(not SAMPLE.exists(), reason="needs data/synthetic/sample_caseload.csv")
def test_audit_page_sample_caseload_tables_are_formatted() -> None:
    at = _page("caseload_audit")
    at.button(key="audit_sample").click().run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    assert any("Findings" == s.value for s in at.subheader)
    providers = _table_with(at, "Provider", "Observed / expected (95% interval)")
    assert re.match(r"^\d\.\d\d \(\d\.\d\d to \d\.\d\d\)$", providers.iloc[0, -2])
    for t in at.table:
        for column in t.value.columns:
            assert not re.search(r"\b[a-z]+_[a-z_]+\b", str(column)), column


@pytest.mark.skipif(not SAMPLE.exists(), reason="needs data/synthetic/sample_caseload.csv")
def test_audit_unmatched_required_column_tells_the_user_what_to_do() -> None:
    frame = pd.read_csv(SAMPLE).rename(columns={"provider_id": "org_code"})
    at = _page("caseload_audit")
    at.file_uploader(key="audit_upload").set_value(
        ("mine.csv", frame.to_csv(index=False).encode(), "text/csv")
    ).run()
    assert not at.exception
    warning = " ".join(w.value for w in at.warning)
    assert "Match a column to provider_id in the table above" in warning
    assert not at.success, "no 'no problems found' before the columns are matched"
    assert not at.status, "the audit does not start"
    assert any("provider_id** not matched" in m.value for m in at.markdown)
    # matching it in the table starts the audit
    editor = at.data_editor[0]
    row = list(editor.value["your column"]).index("org_code")
    at.session_state[editor.key] = _edit(row, "maps to", "provider_id")
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any(s.value == "Findings" for s in at.subheader)
    assert [s.label for s in at.status] == ["Audit finished"]


@pytest.mark.skipif(not SAMPLE.exists(), reason="needs data/synthetic/sample_caseload.csv")
def test_audit_values_are_recoded_with_suggestions() -> None:
    frame = pd.read_csv(SAMPLE)
    frame["sex"] = frame["sex"].map({"F": "female", "M": "Male", "X": "other"})
    at = _page("caseload_audit")
    at.file_uploader(key="audit_upload").set_value(
        ("mine.csv", frame.to_csv(index=False).encode(), "text/csv")
    ).run()
    assert not at.exception
    values = next(e for e in at.data_editor if "your value" in e.value.columns).value
    suggested = dict(zip(values["your value"], values["becomes"], strict=True))
    assert suggested == {"female": "F", "Male": "M", "other": "X"}
    assert not at.error, [e.value for e in at.error]
    assert any(s.value == "Findings" for s in at.subheader)


def test_audit_page_parking_demo_flags_the_parking_provider() -> None:
    at = _page("caseload_audit")
    at.button(key="audit_demo").click().run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    flagged = [w.value for w in at.warning]
    assert flagged and "P3" in flagged[0]


@pytest.mark.skipif(not SAMPLE.exists(), reason="needs data/synthetic/sample_caseload.csv")
def test_audit_page_maps_other_column_names_from_parquet() -> None:
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
    mapping = _table_with(at, "your column", "maps to").set_index("your column")["maps to"]
    assert mapping["client_id"] == "person_id"
    assert mapping["Gender"] == "sex"
    assert mapping["provider"] == "provider_id"
    assert mapping["hours"] == "support_hours"
    assert not at.error, [e.value for e in at.error]
    assert any(s.value == "Findings" for s in at.subheader)


# ----------------------------------------------------------------------------- distance model
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


def test_distance_page_is_honest_about_the_model(
    model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PBR_FAIRNESS_APP_MODEL_DIR", str(model_dir))
    at = _page("distance_model")
    assert at.title[0].value.startswith("Distance")
    assert not at.error, [e.value for e in at.error]
    labels = [m.label for m in at.metric]
    assert labels[:4] == ["AUC", "AUC / best possible", "Brier score", "Calibration error"]
    assert 0.6 < float(at.metric[0].value) < 0.95
    assert float(at.metric[1].value.rstrip("%")) > 85  # close to the best possible
    text = _texts(at)
    assert "protected characteristics" in text and "sex" in text and "ethnicity" in text
    calibration = _table_with(at, "Group", "Predicted / observed (95% interval)")
    assert calibration["Predicted / observed (95% interval)"].str.match(
        r"^\d\.\d\d \(\d\.\d\d to \d\.\d\d\)$").all()
    outside = calibration["Interval includes 1"] == "no"
    if outside.any() and (calibration["Checked"] == "yes").any():
        assert "not calibrated in" in text or "calibrated within every" in text
    inputs = _table_with(at, "Input", "Protected characteristic")
    assert set(inputs.loc[inputs["Protected characteristic"] == "yes", "Input"]) >= {"sex"}
    cells = [c for t in at.table for c in t.value.astype(str).to_numpy().ravel()]
    assert "None" not in cells and "nan" not in cells
    at.selectbox(key="distance_by").set_value("disability").run()
    assert not at.exception and not at.error
    assert _scenario(at).distance.by == "disability"


@pytest.mark.skipif(not SAMPLE.exists(), reason="needs data/synthetic/sample_caseload.csv")
def test_audit_page_warns_when_the_synthetic_model_judges_a_real_caseload() -> None:
    # a caseload without the synthetic truth columns, as a real provider's would be
    frame = pd.read_csv(SAMPLE)
    frame = frame.drop(columns=[c for c in frame.columns if c.startswith("true_")])
    blob = frame.to_csv(index=False).encode()
    at = _page("caseload_audit")
    at.file_uploader(key="audit_upload").set_value(("real.csv", blob, "text/csv")).run()
    assert not at.exception
    assert at.selectbox(key="audit_expected").value == "cross-fit"  # the default
    fitted = [w.value for w in at.warning]
    at.selectbox(key="audit_expected").set_value("model").run()
    assert not at.exception
    shipped = [w.value for w in at.warning]
    assert any("synthetic" in w for w in shipped), shipped
    assert not any("synthetic" in w and "model" in w for w in fitted), fitted
