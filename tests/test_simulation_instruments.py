"""The simulator with a contract's instruments: payments by family, directions, the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from pbr_fairness.caseload.generator import make_caseload
from pbr_fairness.contracts import load_contract
from pbr_fairness.contracts.contract import contract_from_yaml
from pbr_fairness.errors import InputError
from pbr_fairness.simulation import ProviderSettings, evaluate, prepare_population
from pbr_fairness.simulation.simulate import simulate_contract

INSTRUMENT_PRESETS = (
    "work_programme_2011_by_year",
    "value_added_comparison_group",
    "accelerator_work_and_health",
    "yardstick_primes",
    "cost_sharing_employment_fund",
    "funded_hours_by_need",
    "assessment_priced",
)
NO_DISCOUNT = ProviderSettings(discount_rate=0.0)


def est(value, unit):
    return {"value": value, "unit": unit, "description": "A test figure.", "estimate": True,
            "reason": "test"}


def contract(instruments, **top):
    """A contract built on work_programme_2011 with this instruments section."""
    doc = {"name": "test", "description": "A test contract.", "based_on": "work_programme_2011",
           "instruments": instruments, **top}
    return contract_from_yaml(yaml.safe_dump(doc), source="test.yaml")


@pytest.fixture(scope="module")
def world():
    cl = make_caseload(3000, rng=21, providers=3)
    q = cl["true_p_observable"].to_numpy()
    pop = prepare_population(cl, NO_DISCOUNT)
    return cl, q, pop


@pytest.mark.parametrize("name", INSTRUMENT_PRESETS)
def test_every_instrument_preset_simulates_and_its_payments_add_up(world, name):
    cl, q, _pop = world
    res = simulate_contract(cl, name, NO_DISCOUNT, predicted=q, rng=0)
    o = res.overall
    assert all(np.isfinite(v) for k, v in o.items() if k != "cost_per_additional_job")
    fams = load_contract(name).families
    assert tuple(res.instrument_payments) == fams
    assert res.provenance["instruments"] == list(fams)
    assert "instruments (expected payments" in res.summary()
    assert res.to_dict(gaps=False)["instruments"] == pytest.approx(res.instrument_payments)
    # spend = attachment + expected outcome fees + instruments paid by the commissioner
    p = res.persons
    fees = (p["p_job_outcome"] * p["outcome_value"]).sum()
    terms = load_contract(name).terms(cl, q, rng=np.random.default_rng(0))
    paid = sum(v for k, v in res.instrument_payments.items()
               if k not in ("market_share_shift", "attachment_by_year"))
    total = terms.tariff["A"].sum() - terms.delivery_fee * len(cl) + fees + paid
    assert total == pytest.approx(o["government_spend"], rel=1e-9)


def test_a_contract_without_instruments_is_bit_identical_to_the_fee_only_path(world):
    cl, q, pop = world
    wp = load_contract("work_programme_2011")
    terms = wp.terms(cl, q, rng=0)
    assert terms.instruments is None and terms.families == ()
    direct = wp.tariff_per_person(cl, q)
    assert all(np.array_equal(terms.tariff[k], direct[k]) for k in direct)
    a = evaluate(pop, direct, NO_DISCOUNT)
    res = simulate_contract(cl, wp, NO_DISCOUNT, predicted=q, population=pop)
    assert res.overall == a.overall and res.instrument_payments == {}
    assert "instruments" not in res.to_dict(gaps=False) and "instruments" not in res.provenance
    assert "instrument_payment" not in res.persons and "instruments" not in res.summary()
    # the by-year preset at referral year 1 pays the year-1 fees: the same numbers
    year1 = simulate_contract(cl, "work_programme_2011_by_year", NO_DISCOUNT, population=pop)
    assert year1.overall == res.overall


def test_a_delivery_fee_is_paid_for_every_participant(world):
    cl, _q, pop = world
    c = contract({"delivery_fee": est(150, "GBP")})
    t = c.terms(cl)
    base = load_contract("work_programme_2011").tariff_per_person(cl)
    assert np.allclose(t.tariff["A"] - base["A"], 150.0) and t.instruments is None
    res = simulate_contract(cl, c, NO_DISCOUNT, population=pop)
    assert res.instrument_payments == {"delivery_fee": pytest.approx(150.0 * len(cl))}


def test_value_added_payments_unpark_and_person_truth_is_the_exact_deadweight(world):
    cl, _q, pop = world
    wp = simulate_contract(cl, "work_programme_2011", NO_DISCOUNT, population=pop).overall
    va = simulate_contract(cl, "value_added_comparison_group", NO_DISCOUNT, population=pop)
    assert va.overall["parked_share"] < wp["parked_share"]
    assert va.overall["additional_jobs"] > wp["additional_jobs"]
    t = contract({"value_added": {"rate": est(1000, "GBP"), "benchmark": "person_truth",
                                  "floor": None}}).terms(cl)
    assert np.array_equal(t.instruments.benchmark, cl["true_p0"].to_numpy())
    assert t.instruments.value_added_floor is None


def test_an_accelerator_pays_above_its_level_and_an_unreachable_level_pays_nothing(world):
    cl, _q, pop = world
    wp = evaluate(pop, load_contract("work_programme_2011").tariff_per_person(cl), NO_DISCOUNT)
    res = simulate_contract(cl, "accelerator_work_and_health", NO_DISCOUNT, population=pop)
    assert res.overall["additional_jobs"] > wp.overall["additional_jobs"]
    assert res.instrument_payments["accelerator"] > 0
    t = load_contract("accelerator_work_and_health").terms(cl)
    p0 = cl["true_p0"].to_numpy()
    codes = t.instruments.accelerator_cell
    pg1 = np.flatnonzero(np.unique(cl["payment_group"]) == "PG1")[0]
    assert t.instruments.accelerator_level[pg1] == pytest.approx(1.1 * p0[codes == pg1].mean())
    groups = sorted(set(cl["payment_group"]))
    never = contract({"accelerator": {
        "levels": {g: est(1.0, "probability") for g in groups},
        "fee_below": est(0, "GBP"), "fee_above": est(5000, "GBP")}})
    tn = never.terms(cl)
    ev = evaluate(pop, tn.tariff, NO_DISCOUNT, instruments=tn.instruments)
    assert ev.instrument_payment.sum() < 1.0
    assert ev.overall["hours_per_person"] == pytest.approx(wp.overall["hours_per_person"],
                                                           rel=1e-6)


def test_a_yardstick_nets_out_between_primes_and_needs_two_of_them(world):
    cl, _q, pop = world
    wp = simulate_contract(cl, "work_programme_2011", NO_DISCOUNT, population=pop).overall
    res = simulate_contract(cl, "yardstick_primes", NO_DISCOUNT, population=pop)
    assert res.overall["hours_per_person"] > wp["hours_per_person"]
    pay = res.instrument_payments
    assert abs(pay["yardstick"]) < 0.01 * res.overall["government_spend"]
    assert pay["market_share_shift"] > 0
    one = cl.assign(provider_id="P1")
    with pytest.raises(InputError, match="at least two primes") as err:
        simulate_contract(one, "yardstick_primes", NO_DISCOUNT)
    assert err.value.problems[0].column == "instruments.yardstick"


def test_cost_sharing_lowers_the_providers_cost_of_an_hour(world):
    cl, _q, pop = world
    t = contract({"cost_sharing": {"share": est(0.5, "ratio")}}).terms(cl)
    shared = evaluate(pop, t.tariff, NO_DISCOUNT, instruments=t.instruments)
    half = ProviderSettings(discount_rate=0.0, cost_per_hour=NO_DISCOUNT.cost_per_hour / 2)
    cheap = evaluate(pop, t.tariff, half)
    assert np.allclose(shared.hours, cheap.hours, rtol=1e-8)
    res = simulate_contract(cl, contract({"cost_sharing": {"share": est(0.5, "ratio")}}),
                            NO_DISCOUNT, population=pop)
    hours = res.persons["hours"].sum()
    assert res.instrument_payments["cost_sharing"] == pytest.approx(
        0.5 * NO_DISCOUNT.cost_per_hour * hours)


def test_funded_hours_raise_the_hours_of_the_funded_cells_only(world):
    cl, q, pop = world
    wp = evaluate(pop, load_contract("work_programme_2011").tariff_per_person(cl), NO_DISCOUNT)
    c = load_contract("funded_hours_by_need")
    t = c.terms(cl, q)
    ev = evaluate(pop, t.tariff, NO_DISCOUNT, instruments=t.instruments)
    funded = t.instruments.funded_hours > 0
    assert np.all((1 - q[funded]) > 0.714) and np.all((1 - q[~funded]) <= 0.714)
    assert np.all(ev.hours[funded] >= 10 - 1e-9)
    assert ev.hours[funded].mean() > wp.hours[funded].mean() + 1
    res = simulate_contract(cl, c, NO_DISCOUNT, predicted=q, population=pop)
    assert res.instrument_payments["funded_hours"] == pytest.approx(
        NO_DISCOUNT.cost_per_hour * np.minimum(10.0, ev.hours[funded]).sum())


def test_monte_carlo_mode_realises_the_instruments(world):
    cl, _q, pop = world
    exp = simulate_contract(cl, "accelerator_work_and_health", NO_DISCOUNT, population=pop)
    mc = simulate_contract(cl, "accelerator_work_and_health", NO_DISCOUNT, population=pop,
                           mode="monte_carlo", replications=40, rng=1)
    e, m = exp.overall["government_spend"], mc.overall["government_spend"]
    assert m == pytest.approx(e, rel=0.03)
    assert mc.instrument_payments == exp.instrument_payments


# -- the command line ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def caseload_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("instruments") / "caseload.csv"
    make_caseload(600, rng=4, providers=3).to_csv(path, index=False)
    return path


def test_cli_simulate_prints_a_line_per_instrument_family(caseload_file, tmp_path, capsys):
    from pbr_fairness.cli import main

    out = tmp_path / "r.json"
    code = main(["simulate", "--caseload", str(caseload_file), "--contract", "yardstick_primes",
                 "--json", str(out)])
    text = capsys.readouterr().out
    assert code == 0
    assert "yardstick payments (net across primes)" in text
    assert "market-share shift (value to primes, not spend)" in text and "£" in text
    doc = json.loads(out.read_text())
    assert set(doc["instruments"]) == {"yardstick", "market_share_shift"}


def test_cli_a_bad_contract_file_exits_2_naming_the_key(caseload_file, tmp_path, capsys):
    from pbr_fairness.cli import main

    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({
        "name": "bad", "description": "A bad file.", "based_on": "work_programme_2011",
        "instruments": {"cost_sharing": {"share": est(1.5, "ratio")}}}), encoding="utf-8")
    code = main(["simulate", "--caseload", str(caseload_file), "--contract", str(bad)])
    err = capsys.readouterr().err
    assert code == 2
    assert "instruments.cost_sharing.share" in err and "Traceback" not in err


def test_the_full_example_of_the_docs_loads_and_simulates(world):
    import re
    from pathlib import Path

    cl, q, pop = world
    text = (Path(__file__).resolve().parents[1] / "docs" / "contracts.md").read_text("utf-8")
    block = re.search(r"```yaml\n(.*?)```", text, re.DOTALL).group(1)
    c = contract_from_yaml(block, source="docs/contracts.md")
    assert c.families == ("attachment_by_year", "delivery_fee", "value_added", "accelerator",
                          "yardstick", "market_share_shift", "cost_sharing", "funded_hours")
    res = simulate_contract(cl, c, NO_DISCOUNT, predicted=q, population=pop)
    assert tuple(res.instrument_payments) == c.families
    assert res.instrument_payments["attachment_by_year"] == pytest.approx(300.0 * len(cl))


def test_the_national_run_refuses_instruments_rather_than_ignoring_them():
    from pbr_fairness.simulation.national import simulate_national

    with pytest.raises(InputError, match="prices the fees only") as err:
        simulate_national(1000, "yardstick_primes", chunk_size=500, rng=0, providers=2)
    assert err.value.problems[0].column == "instruments"




def test_a_result_priced_on_an_assessment_carries_it(world):
    cl, _q, _pop = world
    res = simulate_contract(cl, "assessment_priced", NO_DISCOUNT, rng=0)
    assert "assessment" in res.persons and res.provenance["priced_on"] == "assessment"
    again = simulate_contract(cl, "assessment_priced", NO_DISCOUNT, rng=0)
    assert res.overall == again.overall  # the assessment is drawn from the simulator's seed
