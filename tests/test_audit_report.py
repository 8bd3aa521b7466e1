"""audit_caseload end to end: JSON keys, safe HTML and CSV, suppression, provenance, errors."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from pbr_fairness.audit import audit_caseload, make_audit_scenario
from pbr_fairness.errors import InputError

SCRIPT = "<script>alert('x')</script>"
FORMULA = '=HYPERLINK("http://evil.example/x","click")'
PROVIDER_KEYS = {
    "provider_id", "n", "observed_rate", "expected_rate", "oe_ratio", "oe_ci", "funnel",
    "parking", "creaming", "flagged", "reasons",
}


@pytest.fixture(scope="module")
def caseload() -> pd.DataFrame:
    df = make_audit_scenario(400, 4, parking=("P1",), creaming=("P2",), rng=11)
    df = df.drop(columns=[c for c in df.columns if c.startswith("true_")] + ["scenario_role"])
    df["provider_id"] = df["provider_id"].astype(str)
    # A provider whose name is a script, and a tiny one whose name is a formula.
    df.loc[df["provider_id"] == "P4", "provider_id"] = SCRIPT
    df.loc[df.index[:6], "provider_id"] = FORMULA
    return df


@pytest.fixture(scope="module")
def result(caseload):
    return audit_caseload(caseload, rng=5)


def test_json_has_exactly_the_issue_keys(result):
    data = json.loads(result.to_json())
    # issue 6's keys, plus issue 16's: where expected outcomes came from (with the case-mix
    # model's quality) and the within-area comparison (null without allocation_area)
    assert set(data) == {"providers", "fairness", "provenance", "expected", "within_area"}
    assert data["expected"]["kind"] == "column" and data["within_area"] is None
    for p in data["providers"]:
        assert set(p) == PROVIDER_KEYS
        assert set(p["parking"]) == {"slope", "ci", "p_value", "flag"}
        assert set(p["creaming"]) == {"index", "ci", "p_value", "flag"}
    shown = [p for p in data["providers"] if p["n"] is not None]
    assert all(len(p["oe_ci"]) == 2 and p["oe_ci"][0] <= p["oe_ratio"] <= p["oe_ci"][1]
               for p in shown)


def test_parking_and_creaming_providers_are_flagged(result):
    by = {p["provider_id"]: p for p in result.providers}
    assert by["P1"]["parking"]["flag"] and by["P1"]["flagged"]
    assert by["P2"]["creaming"]["flag"]
    assert not by["P3"]["flagged"]
    assert any(r.startswith("parking") for r in by["P1"]["reasons"])


def test_small_provider_is_suppressed_with_a_partner(result):
    by = {p["provider_id"]: p for p in result.providers}
    tiny = by[FORMULA]
    assert tiny["n"] is None and tiny["oe_ratio"] is None and not tiny["flagged"]
    # Secondary suppression: its count must not follow from the total minus the others.
    hidden = [p for p in result.providers if p["n"] is None]
    assert len(hidden) >= 2
    for name, table in result.tables.items():
        if "provider_id" in table.columns and "suppressed" in table.columns:
            rows = table[table["provider_id"] == FORMULA]
            assert rows["suppressed"].all(), name


def test_every_published_cell_has_at_least_min_cell_people(result):
    for name, table in result.tables.items():
        if "n" in table.columns:
            n = pd.to_numeric(table["n"], errors="coerce").dropna()
            assert ((n == 0) | (n >= 10)).all(), name  # empty cells of the full grid: 0


def test_html_escapes_user_text_and_makes_no_request(result, tmp_path):
    html = result.to_html(tmp_path / "r.html")
    assert SCRIPT not in html
    assert "&lt;script&gt;" in html
    assert "<script" not in html.lower()
    # No reference to any remote host: no URL, no src= or href= pointing outside.
    assert not re.search(r"(src|href)\s*=\s*[\"']?\s*(https?:)?//", html, re.I)
    assert not re.search(r"@import|url\(", html, re.I)
    # The only URL text is the escaped user-supplied provider name.
    urls = re.findall(r"https?://[^\s\"'<&]*", html)
    assert all("evil.example" in u for u in urls)
    assert "<svg" in html  # figures are inline
    assert len(html) < 2_000_000


def test_no_person_identifier_anywhere(result, caseload, tmp_path):
    ids = set(caseload["person_id"].astype(str))
    paths = result.write_csv(tmp_path / "csv")
    texts = [result.to_html(), result.to_json()] + [p.read_text() for p in paths]
    pattern = re.compile(r"C\d{7}")
    for text in texts:
        assert "person_id" not in text
        assert not (set(pattern.findall(text)) & ids)


def test_csv_neutralises_formulas(result, tmp_path):
    paths = result.write_csv(tmp_path / "csv")
    assert {p.name for p in paths} >= {
        "audit_providers.csv", "audit_parking.csv", "audit_creaming.csv",
        "audit_fairness.csv", "audit_provider_payment_group.csv",
        "audit_parking_by_decile.csv",
    }
    for p in paths:
        frame = pd.read_csv(p, dtype=str, keep_default_na=False)
        for col in frame.columns:
            assert not frame[col].str.match(r"^[=+@]").any(), (p.name, col)
        if "provider_id" in frame.columns:
            assert ("'" + FORMULA) in set(frame["provider_id"])


def test_provenance(result, caseload):
    prov = result.provenance
    for key in ("input_sha256", "model_card_id", "package_version", "parameters", "seed",
                "date"):
        assert key in prov
    assert prov["seed"] == 5 and len(prov["input_sha256"]) == 64
    assert prov["parameters"]["min_cell"] == 10
    assert audit_caseload(caseload.iloc[::-1]).provenance["input_sha256"] != prov["input_sha256"]


def test_summary_and_frame(result):
    text = result.summary()
    assert "P1" in text and "FLAGGED" in text
    tidy = result.to_frame()
    assert set(tidy.columns) == {"provider_id", "measure", "value"}


def test_fairness_groups_within_providers(result):
    t = result.tables["fairness"]
    assert set(t["characteristic"]) == {"sex", "age_band", "disability", "ethnicity"}
    shown = t[~t["suppressed"] & (t["n"] > 0)]
    assert (shown["observed_ci_low"] <= shown["observed_rate"]).all()
    assert np.allclose(shown["difference"], shown["observed_rate"] - shown["expected_rate"])


def test_without_hours_parking_is_not_tested(caseload):
    r = audit_caseload(caseload.drop(columns="support_hours"))
    assert all(p["parking"]["p_value"] is None and not p["flagged"] for p in r.providers)
    assert "parking" not in r.tables


@pytest.mark.parametrize(
    ("change", "column"),
    [
        (lambda d: d.drop(columns="provider_id"), "provider_id"),
        (lambda d: d.assign(job_outcome=np.where(d.index == 3, 7, d["job_outcome"])),
         "job_outcome"),
        (lambda d: d.assign(expected_p=np.where(d.index == 4, 1.5, d["expected_p"])),
         "expected_p"),
        (lambda d: d.assign(support_hours=np.where(d.index == 5, -1.0, d["support_hours"])),
         "support_hours"),
    ],
)
def test_bad_input_names_the_column(caseload, change, column):
    with pytest.raises(InputError) as err:
        audit_caseload(change(caseload.copy()))
    assert column in str(err.value)


def test_bad_options(caseload):
    with pytest.raises(InputError, match="min_cell"):
        audit_caseload(caseload, min_cell=0)
    with pytest.raises(InputError, match="correction"):
        audit_caseload(caseload, correction="bonferroni")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="nope"):
        audit_caseload(caseload, expected_column="nope")


def test_expected_probabilities_from_a_model_directory(caseload, tmp_path):
    from pbr_fairness.caseload.generator import make_caseload
    from pbr_fairness.distance import DistanceModel

    train = make_caseload(3000, rng=3)
    model = DistanceModel(n_estimators=20, cv=None).fit(train, train["job_outcome"])
    model.save(tmp_path / "model")
    r = audit_caseload(caseload.drop(columns="expected_p"), model=tmp_path / "model")
    assert r.provenance["expected_source"] == "distance model"
    assert r.provenance["model_card_id"]
    assert all(0 < p["expected_rate"] < 1 for p in r.providers if p["n"] is not None)


def test_small_provider_gets_insufficient_evidence_and_sample_size(caseload):
    df = caseload[caseload["provider_id"].isin(["P1", "P2", "P3"])]
    small = df[df["provider_id"] == "P3"].iloc[:60]
    df = pd.concat([df[df["provider_id"] != "P3"], small])
    r = audit_caseload(df)
    p3 = next(p for p in r.providers if p["provider_id"] == "P3")
    assert p3["n"] == 60 and not p3["parking"]["flag"]
    text = " ".join(p3["reasons"])
    assert "insufficient evidence" in text
    needed = int(re.search(r"about ([\d,]+) people", text).group(1).replace(",", ""))
    assert needed > 60
    row = r.tables["parking"].set_index("provider_id").loc["P3"]
    assert float(row["power"]) < 0.8


def test_single_provider_and_no_characteristics(caseload):
    one = caseload[caseload["provider_id"] == "P1"].drop(
        columns=["sex", "age", "ethnicity", "disability"])
    r = audit_caseload(one)
    assert r.providers[0]["reasons"][0].startswith("only one provider")
    assert not r.providers[0]["flagged"]
    assert "not examined" in r.findings[-1]
    json.loads(r.to_json())
    assert "<svg" in r.to_html()


def test_row_order_does_not_change_findings(caseload, result):
    shuffled = audit_caseload(caseload.sample(frac=1.0, random_state=3), rng=5)
    a, b = json.loads(result.to_json()), json.loads(shuffled.to_json())
    for pa, pb in zip(a["providers"], b["providers"], strict=True):
        assert pa["provider_id"] == pb["provider_id"]
        assert pa["flagged"] == pb["flagged"] and pa["n"] == pb["n"]
        for key in ("oe_ratio", "observed_rate", "expected_rate"):
            assert pa[key] == pytest.approx(pb[key])
        assert pa["creaming"]["index"] == pytest.approx(pb["creaming"]["index"])
        assert pa["parking"]["slope"] == pytest.approx(pb["parking"]["slope"])
        assert pa["parking"]["p_value"] == pytest.approx(pb["parking"]["p_value"], abs=1e-12)


def test_outcomes_by_decile_table(result):
    t = result.tables["provider_decile_outcomes"]
    shown = t[~t["suppressed"].astype(bool)]
    assert set(shown["decile"]) == set(range(1, 11))
    assert (pd.to_numeric(shown["oe_ci_low"]) <= pd.to_numeric(shown["oe_ratio"])).all()
    assert "by decile of expected probability" in result.to_html()
