"""Contract designer: choose or upload a contract, edit its tariff, see what a provider does.

Widgets -> the session's scenario -> the library's runs (pbr_fairness.recipes.designer) ->
cached simulations -> formatted tables, one sentence, charts. Everything set here is kept in
the scenario: across pages, in the address and in the scenario file.
"""

from __future__ import annotations

import re

import cache
import instrument_editor
import pandas as pd
import state
import streamlit as st
import ui

from pbr_fairness import plots, reporting
from pbr_fairness.contracts import PRESETS, Contract, contract_to_yaml
from pbr_fairness.contracts.editing import instrument_edits
from pbr_fairness.engine import needs_prediction
from pbr_fairness.errors import InputError, Problem
from pbr_fairness.labels import format_value
from pbr_fairness.recipes import BASELINE_PREFIX, contract_needs_prediction, designer_runs
from pbr_fairness.recipes.response import (
    DEFAULT_RESPONSE,
    RESPONSE_HELP,
    RESPONSES,
    response_caseload_size,
)
from pbr_fairness.recipes.uncertainty import DOCUMENTED_DRAWS, estimated_seconds
from pbr_fairness.reporting.instruments import instrument_payments_display
from pbr_fairness.scenario import (
    MAX_COMPARED,
    MAX_SAVED,
    VIEWS,
    ContractChoice,
    Variant,
    edits_between,
    provider_overrides,
    resolve_contract,
    scenario_to_yaml,
)
from pbr_fairness.simulation import PROVIDER_SOURCES, ProviderSettings

st.title("Contract designer")
st.markdown(
    "Choose a contract, change its fees, and see what a profit-seeking provider would do: "
    "who gets hours of support, who is **parked** (given only the contractual minimum), what "
    "it costs, and how far it is from what a fair planner would do with the same hours."
)

PROVIDER_LABELS = {
    "cost_per_hour": ("Cost of an hour of support (£)", 1.0, ""),
    "capacity_hours": ("Hours available per person, on average", 1.0, ""),
    "minimum_hours": ("Contractual minimum hours for everyone", 0.5, ""),
    "information_noise": ("Provider's uncertainty about each person's chances", 0.1,
                          "Provider's uncertainty"),
    "mission_weight": ("Mission weight (0 = pure profit, 1 = planner)", 0.1, "Mission weight"),
    "contact_hours": ("Hours of regular contact in the minimum service", 1.0, ""),
    "fixed_cost_per_person": ("Fixed cost per participant (£)", 10.0, ""),
    "discount_rate": ("Provider's yearly discount rate (0.08 = 8%)", 0.01, ""),
}
#: Settings between 0 and 1.
UNIT_INTERVAL = ("mission_weight", "discount_rate")
STARTS = {"preset": "A preset", "file": "A contract file (YAML)",
          "proposal": "The fairer tariff's proposal"}
BY_GROUP = ("parked_share", "hours_per_person", "job_outcome_rate", "no_support_rate",
            "additional_jobs", "cost_per_additional_job")


def _words(message: str) -> str:
    """A provider setting's message in the page's words (labels, not keys)."""
    for key, (label, _, _) in PROVIDER_LABELS.items():
        message = message.replace(key, f"'{label}'")
    return message


def _contract_section(scn, model_ok: bool) -> tuple[ContractChoice, Contract]:
    """The contract chooser and tariff editor; returns the new choice and its base contract."""
    cur = scn.designer.current.contract
    usable = [n for n in PRESETS if model_ok or not contract_needs_prediction(cache.preset(n))]
    origins = ["preset", "file"]
    proposal = cur.spec if cur.origin == "proposal" else st.session_state.get("proposal_spec")
    if proposal is not None:
        origins.append("proposal")
    state.seed("designer_start", cur.origin if cur.origin in origins else "preset")
    left, right = st.columns([2, 3], vertical_alignment="bottom")
    with left:
        origin = st.radio(
            "Start from", origins, format_func=STARTS.get, horizontal=True, key="designer_start"
        )
    if origin == "preset":
        state.seed("designer_preset", cur.preset if cur.preset in usable else usable[0])
        with right:
            name = st.selectbox(
                "Preset contract", usable, key="designer_preset",
                help="Shipped contracts; every figure's source is on the About page.",
            )
        choice = cur if cur.origin == "preset" and cur.preset == name else ContractChoice(
            preset=name)
        base = cache.preset(name)
    elif origin == "file":
        with right:
            upload = st.file_uploader(
                "Contract file (YAML)", type=["yaml", "yml"], key="designer_upload",
                help="A contract in the format of the presets (download one below to start "
                "from). Fees may be plain numbers: they are recorded as estimates.",
            )
        if upload is not None and st.session_state.get("designer_upload_seen") != upload.file_id:
            st.session_state["designer_upload_seen"] = upload.file_id
            loaded = cache.uploaded_contract(upload.getvalue(), upload.name)
            cur = ContractChoice(origin="file", spec=loaded.spec, file_name=upload.name)
        if cur.origin != "file":
            st.info("Upload a contract YAML file, or start from a preset.")
            st.stop()
        st.caption(f"From your file **{cur.file_name or cur.spec.name}**.")
        choice = cur
        base = resolve_contract(cur.model_copy(update={"edits": {}}))
    else:
        choice = cur if cur.origin == "proposal" else ContractChoice(
            origin="proposal", spec=proposal)
        base = resolve_contract(choice.model_copy(update={"edits": {}}))
    if not model_ok and contract_needs_prediction(base):
        st.error(
            "This contract prices on predicted chances of a job (its fees by "
            f"{base.basis.replace('_', ' ')}, or an instrument by band), which needs the "
            "distance model; run `make prepare` to train it."
        )
        st.stop()
    basis = {"payment_group": "payment group", "distance_band": "band of predicted distance "
             "(band 1 = furthest from work)", "smooth": "a smooth function of the predicted "
             "chance (the base tariff below is scaled per person)"}[base.basis]
    st.caption(f"Tariff basis: **{basis}**. Edit any fee in the table; the results follow.")
    editor_key = "tariffs_" + re.sub(r"\W+", "_", f"{origin}_{base.sha256[:12]}")
    if editor_key not in st.session_state:  # (re)created: show the scenario's edits
        shown = resolve_contract(choice)
        table = reporting.tariff_table(shown, furthest_first=True)
        labels = reporting.tariff_labels(base, short=True)
        table.insert(0, "label", [labels[k] for k in table["tariff"]])
        st.session_state[editor_key + "__data"] = table
    edited = st.data_editor(
        st.session_state[editor_key + "__data"], key=editor_key, hide_index=True,
        column_config=ui.TARIFF_COLUMNS, num_rows="fixed", width="stretch",
    )
    st.caption(
        "Attachment £: paid at referral. Outcome £: the job-outcome fee, paid after the trigger "
        "weeks in work. Sustain £: paid for each further 4 weeks in work, up to the most "
        "sustainment payments (Most sust.). " + ui.glossary_link("Sustainment fee")
    )
    try:
        designed = reporting.contract_from_table(base, edited.drop(columns=["label"]))
    except InputError as exc:
        ui.show_input_error(exc, what="The tariff table")
        st.caption("The results below are those of the last valid tariff.")
        return choice, base
    choice = choice.model_copy(update={"edits": edits_between(base, designed)})
    own = instrument_edits(base)
    edits = instrument_editor.instruments_section(
        base, designed, choice.instruments or own, model_ok=model_ok
    )
    if edits is not None:
        choice = choice.model_copy(update={"instruments": None if edits == own else edits})
    return choice, base


def _provider_section(variant: Variant, model_ok: bool) -> tuple[dict[str, float], str]:
    defaults = ProviderSettings().to_dict()
    current = {**defaults, **variant.provider}
    values: dict[str, float] = {}
    cols = st.columns(2)
    for i, key in enumerate(defaults):
        label, step, _ = PROVIDER_LABELS.get(key, (key.replace("_", " ").capitalize(), 0.1, ""))
        state.seed(f"provider_{key}", float(current[key]))
        with cols[i % 2]:
            values[key] = float(
                st.number_input(
                    label, min_value=0.0, step=step, key=f"provider_{key}",
                    max_value=1.0 if key in UNIT_INTERVAL else None,
                    help=_provider_help(key),
                )
            )
    knows_options = [k for k in ("truth", "model") if model_ok or not needs_prediction(None, k)]
    state.seed("provider_knows", variant.provider_knows if variant.provider_knows in
               knows_options else "truth")
    knows = st.radio(
        "What the provider knows of each person's chances", knows_options,
        format_func={"truth": "Their true chances", "model": "Only the model's prediction"}.get,
        horizontal=True, key="provider_knows",
        help="A provider that knows more than the commissioner can cream within any price band.",
    )
    try:
        settings = ProviderSettings(**values)
    except InputError as exc:
        problems = [Problem(_words(p.message), column=PROVIDER_LABELS.get(p.column or "", (
            p.column,))[0]) for p in exc.problems]
        ui.show_input_error(InputError(problems), what="These provider settings")
        st.caption("The results below use the last valid provider settings.")
        return dict(variant.provider), knows
    return provider_overrides(settings), knows


def _provider_help(key: str) -> str:
    term = PROVIDER_LABELS.get(key, ("", 0, ""))[2]
    link = ui.glossary_link(term) if term else ""
    return "  \n".join(x for x in (PROVIDER_SOURCES.get(key, ""), link) if x)


def _save_variant() -> None:
    scn = state.current()
    name = " ".join(str(st.session_state.get("designer_variant_name", "")).split())
    if not name:
        st.session_state["designer_notice"] = "Give the variant a name first."
        return
    if name == scn.designer.current.name or name.startswith(BASELINE_PREFIX) or name in PRESETS:
        st.session_state["designer_notice"] = f"'{name}' is taken: choose another name."
        return
    saved = [v for v in scn.designer.saved if v.name != name]
    if len(saved) >= MAX_SAVED:
        st.session_state["designer_notice"] = (
            f"At most {MAX_SAVED} variants are kept: forget one first."
        )
        return
    kept = scn.designer.current.model_copy(update={"name": name})
    designer = scn.designer.model_copy(update={"saved": (*saved, kept)})
    state.update(scn.model_copy(update={"designer": designer}))
    st.session_state.pop("designer_variant_name", None)
    st.session_state["designer_notice"] = f"Saved '{name}': compare it below."


def _forget(name: str) -> None:
    scn = state.current()
    d = scn.designer
    designer = d.model_copy(update={
        "saved": tuple(v for v in d.saved if v.name != name),
        "compare": tuple(c for c in d.compare if c != name),
        "baseline": d.baseline if d.baseline != name else "work_programme_2011",
    })
    state.replace_keys(("designer_compare", "designer_baseline"))
    state.update(scn.model_copy(update={"designer": designer}))


def _compare_section(scn, model_ok: bool) -> tuple[str, tuple[str, ...]]:
    d = scn.designer
    usable = [n for n in PRESETS if model_ok or not contract_needs_prediction(cache.preset(n))]
    saved = [v.name for v in d.saved]
    baselines = [*usable, *saved]
    state.seed("designer_baseline", d.baseline if d.baseline in baselines else usable[0])
    baseline = st.selectbox(
        "Baseline for the changes", baselines, key="designer_baseline",
        help="Every change on this page is measured against this contract, under the same "
        "provider. " + ui.glossary_link("Baseline"),
    )
    options = [n for n in [*saved, *usable] if n != baseline]
    state.seed("designer_compare", [c for c in d.compare if c in options])
    compare = st.multiselect(
        f"Compare with (up to {MAX_COMPARED}: your saved variants or presets)", options,
        max_selections=MAX_COMPARED, key="designer_compare",
        help="Shown side by side with this scenario and the baseline, each with its change "
        "against the baseline.",
    )
    st.session_state.setdefault("designer_variant_name", f"Variant {'ABC'[len(saved) % 3]}")
    st.text_input("Name of a variant to keep", key="designer_variant_name", max_chars=60,
                  help="Keep the contract and provider as set now under this name, to compare "
                  "them with later changes.")
    st.button("Save this scenario as a variant", on_click=_save_variant, key="designer_save",
              width="stretch")
    notice = st.session_state.pop("designer_notice", None)
    if notice:
        st.caption(notice)
    if d.saved:
        st.caption("Saved: " + ", ".join(f"**{v.name}**" for v in d.saved))
        cols = st.columns(len(d.saved))
        for col, v in zip(cols, d.saved, strict=True):
            col.button(f"Forget {v.name}", key=f"designer_forget_{v.name}", on_click=_forget,
                       args=(v.name,), type="tertiary")
    return baseline, tuple(compare)


def _response_section(scn) -> str:
    """The world the contracts are tested in (the response scenario); returns its name."""
    state.seed("designer_response", scn.designer.response)
    response = st.radio(
        "The world the contracts are tested in: how support changes a person's chances",
        RESPONSES, format_func=lambda r: RESPONSE_HELP[r].label, horizontal=True,
        key="designer_response",
        help="Each world reproduces the Work Programme's published job-outcome rates; they "
        "differ in what support could have done for people far from work. Every contract on "
        "this page (baseline and compared ones too) is simulated in the world chosen here.",
    )
    st.caption(RESPONSE_HELP[response].markdown().replace("\n\n", "  \n"))
    with st.expander("What each world assumes, and its evidence"):
        for name in RESPONSES:
            st.markdown(f"**{RESPONSE_HELP[name].label}** (`{name}`)  \n"
                        + RESPONSE_HELP[name].markdown().replace("\n\n", "  \n"))
        st.caption("Details, with the fitted and held-out figures of each world: "
                   "docs/calibration.md, \"The response scenarios\".")
    return str(response)


def _ranges_text(ranges, h, point: float) -> str:
    lo, hi = ranges.around(h.measure, point)
    text = (f"90% range: {format_value(h.measure, lo, compact=True)} to "
            f"{format_value(h.measure, hi, compact=True)}")
    if not ranges.contains(h.measure, point):
        text += " (the figure lies outside: the central estimates are at an edge)"
    return text


def _metrics(result, baseline, baseline_name: str, ranges=None) -> None:
    cols = st.columns(5)
    for col, h in zip(cols, reporting.headlines(result, baseline), strict=True):
        col.metric(
            h.label, h.text, delta=h.change,
            delta_color="inverse" if h.lower_is_better else "normal",
            help=ui.help_text(h.measure, f"Change: against the baseline, {baseline_name}, "
                              "under the same provider."),
            border=True,
        )
        if ranges is not None:
            col.caption(_ranges_text(ranges, h, float(result.overall[h.measure])))


def _sure_section(run, response: str):
    """The button that computes how sure the headline figures are; returns the ranges."""
    d = cache.data()
    draws, people = d.uncertainty_draws, d.uncertainty_people
    ranges = cache.uncertainty_known(run, response)
    if ranges is None:
        seconds = estimated_seconds(draws, people, response)
        clicked = st.button(
            f"Show how sure these figures are (about {seconds:,} s)", key="designer_sure",
            help="Draws the estimated parameters over their plausible ranges (Latin "
            "hypercube), recalibrates each draw to the published figures, and simulates this "
            "contract under this provider in each: the 90% range of every figure above.",
        )
        if not clicked:
            return None
        bar = st.progress(0.0, text=f"Drawing the estimates: 0 of {draws:,}")

        def progress(done: int, total: int) -> None:
            bar.progress(done / total, text=f"Drawing the estimates: {done:,} of {total:,}")

        ranges = cache.uncertainty(run, response, progress=progress)
        bar.empty()
    st.caption(
        f"**How sure:** each 90% range comes from {ranges.draws:,} draws of the estimated "
        f"parameters ({ranges.used:,} of them reproduce every published figure the model is "
        f"fitted to), each simulated on {ranges.people:,} synthetic people in the "
        f"{response} world, and is applied to the figure above (shares move by the same "
        "points, counts and pounds by the same proportion). That is fewer draws and people "
        f"than the {DOCUMENTED_DRAWS:,} draws of 50,000 of the documented intervals "
        "(docs/calibration.md, `pbr-fairness uncertainty`); it took about "
        f"{max(ranges.seconds, 1):,.0f} s. A range of nearly nothing means the figure is fitted "
        "to the published rates. The ranges cover the estimates only, not the contract's or "
        "your provider settings, which are held as set."
    )
    return ranges


with ui.guard("The contract designer"):
    scn = state.current()
    model_ok = cache.data().model_available()

    response = _response_section(scn)
    scn = scn.model_copy(update={"designer": scn.designer.model_copy(
        update={"response": response})})
    state.update(scn)

    st.subheader("1. The contract")
    choice, base = _contract_section(scn, model_ok)
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.subheader("2. The provider")
        provider, knows = _provider_section(scn.designer.current, model_ok)
    current = scn.designer.current.model_copy(
        update={"contract": choice, "provider": provider, "provider_knows": knows}
    )
    scn = scn.model_copy(update={"designer": scn.designer.model_copy(update={"current": current})})
    state.update(scn)
    with right:
        st.subheader("3. Compare")
        baseline_name, compare = _compare_section(scn, model_ok)
    scn = scn.model_copy(update={"designer": scn.designer.model_copy(
        update={"baseline": baseline_name, "compare": compare})})
    state.update(scn)

    runs = designer_runs(scn)
    names = list(runs)
    me, base_key = names[0], names[1]
    with st.spinner("Simulating the provider's best response..."):
        results = {name: cache.simulate(run, mode=scn.mode, seed=scn.seed, response=response)
                   for name, run in runs.items()}
    result, baseline = results[me], results[base_key]

    st.divider()
    st.subheader("What the provider does under this contract")
    sentence = reporting.change_sentence(
        result, baseline,
        contract=runs[me].contract, baseline_contract=runs[base_key].contract,
        provider=runs[me].provider.to_dict(), baseline_provider=runs[base_key].provider.to_dict(),
        baseline_name=baseline_name,
    )
    st.info(sentence, icon=":material/summarize:")
    changed = reporting.provider_changes(ProviderSettings().to_dict(), runs[me].provider.to_dict())
    notes = [
        f"{words} {reporting.setting_text(new, unit)} "
        f"(default {reporting.setting_text(old, unit)})"
        for words, old, new, unit in changed
    ]
    provider_note = f" Provider: {'; '.join(notes)}." if notes else ""
    world = RESPONSE_HELP[response].label.lower()
    fewer = ""
    if response != DEFAULT_RESPONSE:
        fewer = (
            f" In this world ({world}) the caseload is generated for the page with "
            f"{response_caseload_size(response, cache.data().caseload_n) or 0:,} people, "
            "fewer than the default world's prepared caseload, so that it appears in seconds."
        )
    st.caption(
        f"{len(result.persons):,} synthetic people from the default caseload "
        f"({cache.data().caseload_source(response)}). Changes are against the baseline, "
        f"{baseline_name}, under the same provider.{provider_note}{fewer}"
    )
    ranges_slot = st.container()
    ranges = _sure_section(runs[me], response)
    with ranges_slot:
        _metrics(result, baseline, baseline_name, ranges)

    tidy = reporting.comparison_frame(results)
    same = runs[me].contract == runs[base_key].contract and len(results) == 2
    state.seed("designer_view", scn.designer.view)
    view = st.segmented_control(
        "Show", list(VIEWS), format_func=VIEWS.get, key="designer_view", required=True,
        label_visibility="collapsed",
    ) or scn.designer.view
    scn = scn.model_copy(update={"designer": scn.designer.model_copy(update={"view": view})})
    state.update(scn)
    shown = {n: r for n, r in results.items() if not same or n == me}
    if view == "hours":
        hours = pd.concat(
            [reporting.hours_by_decile(r.persons).assign(contract=n) for n, r in shown.items()],
            ignore_index=True,
        )
        st.plotly_chart(plots.hours_by_decile_figure(hours), key="fig_hours")
        st.caption(
            "Solid: the provider's hours; dashed: what a planner would give with the same total "
            "hours, weighting those furthest from work more (proportionate universalism). "
            "Decile 1 is the tenth of people furthest from work."
        )
    elif view == "parked":
        st.plotly_chart(plots.parked_share_figure(reporting.comparison_frame(shown)),
                        key="fig_parked")
    elif view == "outcomes":
        st.plotly_chart(plots.outcome_with_without_support_figure(tidy, contract=me),
                        key="fig_outcomes")
    elif view == "gaps":
        st.plotly_chart(plots.gaps_figure(reporting.comparison_frame(shown)), key="fig_gaps")
    else:
        order = {base_key: baseline, **{n: r for n, r in results.items() if n != base_key}}
        ui.table(reporting.comparison_display(order, reference=base_key))
        for name in names[2:]:
            st.markdown(f"**{name}**: " + reporting.change_sentence(
                results[name], baseline, contract=runs[name].contract,
                baseline_contract=runs[base_key].contract,
                provider=runs[name].provider.to_dict(),
                baseline_provider=runs[base_key].provider.to_dict(),
                baseline_name=baseline_name))

    st.markdown(f"**Results by payment group** ({me})")
    ui.table(reporting.group_display(tidy, breakdown="payment_group", measures=BY_GROUP,
                                     contract=me))
    payments = instrument_payments_display(results)
    if len(payments):
        st.markdown("**What each instrument pays** (expected, over the window, undiscounted)")
        ui.table(payments, caption="Every payment but the market-share shift is inside the "
                 "government spend; the shift is what winning a cell is worth to the primes.")
    with st.expander("Results by decile of distance from work (decile 1 = furthest)"):
        ui.table(reporting.group_display(tidy, breakdown="decile_true_p0", measures=BY_GROUP,
                                         contract=me))

    st.markdown("**Downloads**")
    d1, d2 = st.columns(2)
    d3, d4 = st.columns(2)
    designed = runs[me].contract
    contracts = {n: r.contract for n, r in runs.items()}
    d1.download_button(
        "Download the contract (YAML)", contract_to_yaml(designed), file_name="contract.yaml",
        mime="application/x-yaml", on_click="ignore", key="download_contract",
    )
    d2.download_button(
        "Download the results (CSV)", lambda: reporting.results_csv(results),
        file_name="results.csv", mime="text/csv", on_click="ignore", key="download_results",
    )
    d3.download_button(
        "Download the report (HTML)",
        lambda: reporting.designer_report_html(
            results, contracts=contracts, baseline=base_key,
            caseload_description=cache.data().caseload_source(response).replace("`", ""),
        ),
        file_name="contract_report.html", mime="text/html", on_click="ignore",
        key="download_report",
    )
    d4.download_button(
        "Download the scenario (YAML)", scenario_to_yaml(scn), file_name="scenario.yaml",
        mime="application/x-yaml", on_click="ignore", key="download_scenario",
        help="Everything set on the pages; open it again from the sidebar, or run it with "
        "`pbr-fairness simulate --scenario scenario.yaml`.",
    )
