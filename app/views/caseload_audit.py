"""Caseload audit: upload a provider caseload, match its columns and values, get evidence.

The page guides: every column the audit needs is listed until it is matched, values the
schema does not know are offered a recoding ("female" -> F), and every message is in the
app's words. The uploaded file stays in memory (never written to disk).
"""

from __future__ import annotations

import cache
import pandas as pd
import state
import streamlit as st
import ui

from pbr_fairness.caseload import suggest_mapping
from pbr_fairness.caseload.schema import COLUMNS
from pbr_fairness.errors import InputError
from pbr_fairness.labels import format_table
from pbr_fairness.recipes.audit import CATEGORIES, EXPECTED_COLUMN, REQUIRED, mapping_status

st.title("Caseload audit")
st.markdown(
    "Upload a person-level caseload (CSV or Parquet) to check each provider for **parking** "
    "(minimal support for those furthest from work) and **creaming**, compare observed with "
    "expected job outcomes, and look at gaps by sex, age, disability and ethnicity. The report "
    "suppresses small cells so that it is safe to publish."
)
st.caption("Your file is read in memory and never written to disk.")

IGNORE = "(not used)"
KEEP = "(leave as it is)"
MISSING = "(treat as missing)"
TARGETS = [IGNORE, *(c.name for c in COLUMNS), EXPECTED_COLUMN]
DESCRIPTIONS = {c.name: c.description for c in COLUMNS} | {
    EXPECTED_COLUMN: "Your own expected chance of a job outcome for each person (0-1)."
}
#: Each table of the audit: its title, the columns shown at first, and whether it is long.
TABLES: dict[str, tuple[str, tuple[str, ...], bool]] = {
    "providers": ("Observed against expected job outcomes, by provider",
                  ("provider_id", "n", "observed_rate", "expected_rate", "oe_ratio",
                   "funnel_position"), False),
    "provider_payment_group": ("By provider and payment group",
                               ("provider_id", "payment_group", "n", "observed_rate",
                                "expected_rate", "oe_ratio"), True),
    "parking": ("Parking: the furthest from work on minimal support, against other providers",
                ("provider_id", "far_n", "far_parked_share", "far_parked_share_others",
                 "share_difference", "p_adjusted", "power", "flag"), False),
    "parking_by_decile": ("On minimal support by decile of expected chance (decile 1 = "
                          "furthest from work)",
                          ("provider_id", "decile", "n", "parked_share", "parked_share_others",
                           "difference"), True),
    "creaming": ("Creaming: hours concentrated on those closest to work",
                 ("provider_id", "index", "index_others", "difference", "p_adjusted", "flag"),
                 False),
    "provider_decile_outcomes": ("Observed against expected by decile of expected chance",
                                 ("provider_id", "decile", "n", "observed_rate",
                                  "expected_rate", "oe_ratio"), True),
    "fairness": ("Outcomes by protected characteristic against expected",
                 ("characteristic", "provider_id", "group", "n", "observed_rate",
                  "expected_rate", "difference", "p_below_adjusted", "below_expected"), True),
}
TABS = {
    "Providers": ("providers", "provider_payment_group", "provider_decile_outcomes"),
    "Parking": ("parking", "parking_by_decile"),
    "Creaming": ("creaming",),
    "Fairness": ("fairness",),
}


def _use(name: str, blob: bytes) -> None:
    st.session_state["audit_file"] = {"name": name, "data": blob}


def _use_demo() -> None:
    _use("demo_parking_caseload.csv", cache.parking_demo_bytes())


def _use_sample() -> None:
    _use(cache.data().sample_file.name, cache.sample_caseload_bytes())


def _checklist(status) -> None:
    items = []
    for col in REQUIRED:
        src = status.matched.get(col)
        if src is None:
            items.append(f":red[**{col}** not matched: needed] - {DESCRIPTIONS.get(col, '')}")
        else:
            items.append(f":green[**{col}**] from your column `{src}`")
    src = status.matched.get("support_hours")
    items.append(
        f":green[**support_hours**] from your column `{src}`" if src
        else ":orange[**support_hours** not matched: optional] - without hours of support the "
        "parking and creaming tests cannot run"
    )
    st.markdown("\n".join(f"- {i}" for i in items))


def _show_table(key: str, table: pd.DataFrame) -> None:
    title, columns, long = TABLES.get(key, (key.replace("_", " ").capitalize(), (), True))
    table = table.copy()
    table.attrs = {}
    shown = format_table(table, table=key, columns=list(columns) or None)
    full = format_table(table, table=key)

    def every_column() -> None:
        if full.shape[1] > shown.shape[1]:
            st.caption("Every column of this table:")
            st.dataframe(full, hide_index=True, key=f"audit_full_{key}")

    if long:
        with st.expander(f"{title} ({len(table)} rows)"):
            ui.table(shown)
            every_column()
    else:
        st.markdown(f"**{title}**")
        ui.table(shown)
        if full.shape[1] > shown.shape[1]:
            with st.expander("Every column of this table"):
                every_column()


with ui.guard("The caseload audit"):
    scn = state.current()
    st.subheader("1. Your caseload")
    up_col, sample_col = st.columns([3, 1], vertical_alignment="bottom")
    with up_col:
        upload = st.file_uploader(
            "Caseload file (CSV or Parquet)", type=["csv", "parquet", "pq"], key="audit_upload",
            help="One row per person: person_id, payment_group, provider_id, job_outcome, "
            "characteristics and, if you have them, support_hours.",
        )
    with sample_col:
        st.button("Try the sample caseload", on_click=_use_sample, key="audit_sample",
                  help="2,000 synthetic people with 4 providers "
                  "(data/synthetic/sample_caseload.csv).", width="stretch")
        st.button("Demo: a provider that parks", on_click=_use_demo, key="audit_demo",
                  help="12,000 synthetic people at 6 providers, of which P3 parks those "
                  "furthest from work and P5 creams.", width="stretch")
    # A new upload replaces the current file; the sample and demo buttons replace it too.
    if upload is not None and st.session_state.get("audit_upload_seen") != upload.file_id:
        st.session_state["audit_upload_seen"] = upload.file_id
        _use(upload.name, upload.getvalue())
    source = st.session_state.get("audit_file")
    if source is None:
        st.info("Upload a caseload, or try the sample caseload.")
        st.stop()
    blob, name = source["data"], source["name"]
    st.write(f"**{name}** ({len(blob) / 1e6:.2f} MB)")

    st.subheader("2. Match your columns")
    columns = cache.upload_columns(blob, name)
    suggested = suggest_mapping(columns)
    targets = [c if c in TARGETS else suggested.get(c, IGNORE) for c in columns]
    order = sorted(range(len(columns)), key=lambda i: targets[i] != IGNORE)  # unmatched first
    mapping_table = pd.DataFrame(
        {"your column": [columns[i] for i in order], "maps to": [targets[i] for i in order]}
    )
    st.caption(
        "Suggestions are filled in; change any that are wrong. Your columns that match nothing "
        f"yet are at the top, marked '{IGNORE}': they are left out unless you match them."
    )
    edited = st.data_editor(
        mapping_table,
        key=f"audit_mapping_{cache.digest(blob)[:12]}",
        hide_index=True,
        num_rows="fixed",
        height=min(36 * (len(columns) + 1) + 4, 640),
        column_config={
            "your column": st.column_config.TextColumn("Your column", disabled=True),
            "maps to": st.column_config.SelectboxColumn(
                "Maps to", options=TARGETS, required=True,
                help="The column of the caseload schema it holds",
            ),
        },
        width="stretch",
    )
    pairs = list(zip(edited["your column"], edited["maps to"], strict=True))
    mapping = tuple((str(s), str(d)) for s, d in pairs if d != IGNORE and s != d)
    dropped = tuple(str(s) for s, d in pairs if d == IGNORE)
    status = mapping_status([str(s) for s, d in pairs if d != IGNORE], dict(mapping))
    _checklist(status)
    if not status.ready:
        missing = ", ".join(status.missing)
        st.warning(
            f"Match a column to {missing} in the table above: choose it under 'Maps to' in the "
            "row of your column that holds it. The audit starts when every needed column is "
            "matched.",
            icon=":material/arrow_upward:",
        )
        st.stop()

    recodes: dict[str, dict[str, str]] = {}
    unknown = cache.unmatched_values(blob, name, mapping, dropped)
    if len(unknown):
        st.subheader("3. Match your values")
        st.caption(
            "These values are not ones the schema knows. Suggestions are filled in; choose "
            f"what each stands for, '{MISSING}' to leave it out, or '{KEEP}' to see it reported."
        )
        for column, rows in unknown.groupby("column", sort=False):
            table = pd.DataFrame(
                {
                    "your value": rows["value"].tolist(),
                    "people": rows["people"].astype(int).tolist(),
                    "becomes": [s if isinstance(s, str) else KEEP for s in rows["suggested"]],
                }
            )
            out = st.data_editor(
                table,
                key=f"audit_values_{column}_{cache.digest(blob)[:8]}",
                hide_index=True,
                num_rows="fixed",
                column_config={
                    "your value": st.column_config.TextColumn(f"Your {column}", disabled=True),
                    "people": st.column_config.NumberColumn("People", disabled=True),
                    "becomes": st.column_config.SelectboxColumn(
                        "Becomes", options=[*CATEGORIES[str(column)], MISSING, KEEP],
                        required=True,
                    ),
                },
                width="content",
            )
            recodes[str(column)] = {
                str(v): ("" if b == MISSING else str(b))
                for v, b in zip(out["your value"], out["becomes"], strict=True)
                if b != KEEP
            }
    recode_key = tuple(sorted((c, tuple(sorted(t.items()))) for c, t in recodes.items() if t))

    with st.spinner("Reading and validating the file..."):
        frame = cache.read_upload(blob, name, mapping, dropped, recode_key)
    providers = frame["provider_id"].nunique() if "provider_id" in frame.columns else 0
    st.success(
        f"{len(frame):,} people and {providers} provider{'s' if providers != 1 else ''} read; "
        "no problems found.",
        icon=":material/check:",
    )

    st.subheader("4. Audit")
    names_after = [str(c) for c in frame.columns]
    # Default: a case-mix model fitted on the caseload itself (issue 16); the shipped model was
    # trained on synthetic people and warns on a caseload without the synthetic truth.
    sources = ["cross-fit"] + (["model"] if cache.data().model_available() else [])
    sources += [c for c in names_after if c == EXPECTED_COLUMN or c.startswith("true_p")]
    a = scn.audit
    state.seed("audit_opt_min_cell", a.min_cell)
    state.seed("audit_opt_alpha", a.alpha)
    state.seed("audit_opt_correction", a.correction)
    with st.expander("Options", expanded=False):
        expected_from = st.selectbox(
            "Expected chances from", sources,
            format_func=lambda s: {
                "cross-fit": "A case-mix model fitted on this caseload (out of sample)",
                "model": "The shipped distance model (trained on synthetic people)",
            }.get(s, f"Column {s}"),
            key="audit_expected",
            help="Each person's expected chance of a job outcome, given what was known at "
            "referral: the benchmark the provider is judged against.",
        )
        min_cell = st.number_input(
            "Smallest cell shown in the report", min_value=1, step=1, key="audit_opt_min_cell",
            help="Cells with fewer people are suppressed (with secondary suppression) so that no "
            "one can be identified. " + ui.glossary_link("Suppressed cell"),
        )
        alpha = st.select_slider(
            "Evidence level", options=[0.01, 0.05, 0.1], key="audit_opt_alpha",
            help="A provider is flagged only when its evidence passes this level after "
            "correction for multiple comparisons. " + ui.glossary_link("Adjusted p-value"),
        )
        correction = st.radio(
            "Multiple-comparison correction", ["holm", "bh"], horizontal=True,
            format_func={"holm": "Holm (family-wise)",
                         "bh": "Benjamini-Hochberg (false discovery)"}.get,
            key="audit_opt_correction",
        )
    audit_state = a.model_copy(update={"min_cell": int(min_cell), "alpha": float(alpha),
                                       "correction": correction})
    state.update(scn.model_copy(update={"audit": audit_state}))
    expected_column = None if expected_from in ("model", "cross-fit") else expected_from
    config = (name, mapping, dropped, recode_key, expected_column, int(min_cell), float(alpha),
              correction, expected_from if expected_from in ("model", "cross-fit") else "column")
    with st.status("Auditing the caseload...", expanded=False) as running:
        running.write("Expected outcomes, parking and creaming tests, fairness gaps...")
        try:
            result = cache.audit(blob, *config)
        except InputError as exc:
            running.update(label="The audit could not run", state="error")
            ui.show_input_error(exc, what="The caseload")
            st.stop()
        running.update(label="Audit finished", state="complete")

    st.divider()
    st.subheader("Findings")
    st.markdown("\n".join(f"- {f}" for f in result.findings))
    flagged = result.flagged
    if flagged:
        st.warning(f"Flagged: {', '.join(flagged)}.", icon=":material/flag:")
    else:
        st.success("No provider flagged at the stated level.", icon=":material/check:")
    for warning in result.warnings:
        st.warning(warning, icon=":material/warning:")
    tables = dict(result.tables)
    figures = cache.audit_figures(blob, *config)
    tab_names = ["Providers", "Funnel plot", "Parking", "Creaming", "Fairness", "Report"]
    for tab, tab_name in zip(st.tabs(tab_names), tab_names, strict=True):
        with tab:
            if tab_name == "Funnel plot":
                if figures.get("funnel") is not None:
                    st.plotly_chart(figures["funnel"], key="audit_funnel")
                    st.caption(ui.glossary_link("Funnel plot"))
                else:
                    st.info("No funnel plot for this caseload.")
                continue
            if tab_name == "Report":
                st.download_button(
                    "Download the HTML report", lambda: cache.audit_html(blob, *config),
                    file_name="audit_report.html", mime="text/html", on_click="ignore",
                    key="download_audit_report", type="primary",
                )
                st.download_button(
                    "Download the findings (JSON)", lambda: cache.audit_json(blob, *config),
                    file_name="audit_findings.json", mime="application/json",
                    on_click="ignore", key="download_audit_json",
                )
                continue
            if figures.get(tab_name) is not None:
                st.plotly_chart(figures[tab_name], key=f"audit_fig_{tab_name}")
            shown = [k for k in TABS[tab_name] if k in tables]
            if tab_name == "Providers":
                known = {k for ks in TABS.values() for k in ks}
                shown += [k for k in tables if k not in known]
            for key in shown:
                _show_table(key, tables[key])
