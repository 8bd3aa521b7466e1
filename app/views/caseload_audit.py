"""Caseload audit: upload a provider caseload, map its columns, get evidence and a report."""

from __future__ import annotations

import cache
import pandas as pd
import streamlit as st
import ui

from pbr_fairness.caseload.schema import COLUMNS

st.title("Caseload audit")
st.markdown(
    "Upload a person-level caseload (CSV or Parquet) to check each provider for **parking** "
    "(minimal support for those furthest from work) and **creaming**, compare observed with "
    "expected job outcomes, and look at gaps by sex, age, disability and ethnicity. The report "
    "suppresses small cells so that it is safe to publish."
)
st.caption("Your file is read in memory and never written to disk.")

IGNORE = "(not used)"
EXPECTED = "expected_p"
TARGETS = [IGNORE, *(c.name for c in COLUMNS), EXPECTED]
TARGET_HELP = {c.name: c.description for c in COLUMNS}


def _use_demo() -> None:
    st.session_state["audit_file"] = {
        "name": "demo_parking_caseload.csv",
        "data": cache.parking_demo_bytes(),
    }


def _use_sample() -> None:
    st.session_state["audit_file"] = {
        "name": cache.SAMPLE_CASELOAD_PATH.name,
        "data": cache.sample_caseload_bytes(),
    }


with ui.guard("The caseload audit"):
    io_part = ui.library_part("pbr_fairness.caseload", "read_caseload", "suggest_mapping")
    audit_part = ui.library_part("pbr_fairness.audit", "audit_caseload")
    if io_part is None or audit_part is None:
        st.stop()

    st.subheader("1. Your caseload")
    up_col, sample_col = st.columns([3, 1], vertical_alignment="bottom")
    with up_col:
        upload = st.file_uploader(
            "Caseload file (CSV or Parquet)",
            type=["csv", "parquet", "pq"],
            key="audit_upload",
            help="One row per person: provider_id, payment_group, characteristics, job_outcome "
            "and, if you have them, support_hours.",
        )
    with sample_col:
        st.button(
            "Try the sample caseload",
            on_click=_use_sample,
            key="audit_sample",
            help="2,000 synthetic people with 4 providers (data/synthetic/sample_caseload.csv).",
            width="stretch",
        )
        st.button(
            "Demo: a provider that parks",
            on_click=_use_demo,
            key="audit_demo",
            help="12,000 synthetic people at 6 providers, of which P3 parks those furthest "
            "from work and P5 creams (pbr_fairness.audit.make_audit_scenario).",
            width="stretch",
        )
    # A new upload replaces the current file; the sample and demo buttons replace it too.
    if upload is not None and st.session_state.get("audit_upload_seen") != upload.file_id:
        st.session_state["audit_upload_seen"] = upload.file_id
        st.session_state["audit_file"] = {"name": upload.name, "data": upload.getvalue()}
    source = st.session_state.get("audit_file")
    if source is None:
        st.info("Upload a caseload, or try the sample caseload.")
        st.stop()
    data, name = source["data"], source["name"]
    st.write(f"**{name}** ({len(data) / 1e6:.2f} MB)")

    st.subheader("2. Match your columns")
    columns = cache.upload_columns(data, name)
    suggested = io_part.suggest_mapping(columns)
    mapping_table = pd.DataFrame(
        {
            "your column": columns,
            "maps to": [c if c in TARGETS else suggested.get(c, IGNORE) for c in columns],
        }
    )
    st.caption(
        "Suggestions are filled in; change any that are wrong. Columns marked "
        f"'{IGNORE}' are left out."
    )
    edited = st.data_editor(
        mapping_table,
        key=f"audit_mapping_{cache.digest(data)[:12]}",
        hide_index=True,
        num_rows="fixed",
        column_config={
            "your column": st.column_config.TextColumn(disabled=True),
            "maps to": st.column_config.SelectboxColumn(
                options=TARGETS, required=True, help="The column of the caseload schema"
            ),
        },
        width="stretch",
    )
    mapping = tuple(
        (str(src), str(dst))
        for src, dst in zip(edited["your column"], edited["maps to"], strict=True)
        if dst != IGNORE and src != dst
    )
    dropped = tuple(
        str(s) for s, d in zip(edited["your column"], edited["maps to"], strict=True) if d == IGNORE
    )

    with st.spinner("Reading and validating the file..."):
        frame = cache.read_upload(data, name, mapping, dropped)
    providers = frame["provider_id"].nunique() if "provider_id" in frame.columns else 0
    st.success(
        f"{len(frame):,} people and {providers} provider{'s' if providers != 1 else ''} read; "
        "no problems found.",
        icon=":material/check:",
    )

    st.subheader("3. Audit")
    names_after = [str(c) for c in frame.columns]
    sources = ["model"] if cache.model_available() else []
    sources += [c for c in names_after if c == EXPECTED or c.startswith("true_p")]
    if not sources:
        st.error(
            "Expected outcomes need the distance model (run `make prepare`) or a column of "
            f"expected probabilities mapped to `{EXPECTED}`."
        )
        st.stop()
    with st.expander("Options", expanded=False):
        expected_from = st.selectbox(
            "Expected probabilities from",
            sources,
            format_func=lambda s: "The shipped distance model" if s == "model" else f"Column {s}",
            key="audit_expected",
            help="Each person's expected chance of a job outcome, given what was known at "
            "referral: the benchmark the provider is judged against.",
        )
        min_cell = st.number_input(
            "Smallest cell shown in the report",
            min_value=1,
            value=10,
            step=1,
            key="audit_min_cell",
            help="Cells with fewer people are suppressed (with secondary suppression) so that no "
            "one can be identified.",
        )
        alpha = st.select_slider(
            "Evidence level",
            options=[0.01, 0.05, 0.10],
            value=0.05,
            key="audit_alpha",
            help="A provider is flagged only when its evidence passes this level after "
            "correction for multiple comparisons.",
        )
        correction = st.radio(
            "Multiple-comparison correction",
            ["holm", "bh"],
            horizontal=True,
            format_func={
                "holm": "Holm (family-wise)",
                "bh": "Benjamini-Hochberg (false discovery)",
            }.get,
            key="audit_correction",
        )
    expected_column = None if expected_from == "model" else expected_from
    config = (name, mapping, dropped, expected_column, int(min_cell), float(alpha), correction)
    with st.status("Auditing the caseload...", expanded=False) as status:
        status.write("Expected outcomes, parking and creaming tests, fairness gaps...")
        result = cache.audit(data, *config)
        status.update(label="Audit finished", state="complete")

    st.divider()
    st.subheader("Findings")
    st.markdown("\n".join(f"- {f}" for f in result.findings))
    flagged = result.flagged
    if flagged:
        st.warning(f"Flagged: {', '.join(flagged)}.", icon=":material/flag:")
    else:
        st.success("No provider flagged at the stated level.", icon=":material/check:")
    tables = dict(result.tables)
    figures = cache.audit_figures(data, *config)
    tab_names = ["Providers", "Funnel plot", "Parking", "Creaming", "Fairness", "Report"]
    tabs = st.tabs(tab_names)
    groups = {
        "Providers": ("providers", "provider_payment_group"),
        "Parking": ("parking", "parking_by_decile"),
        "Creaming": ("creaming",),
        "Fairness": ("fairness",),
    }
    for tab, tab_name in zip(tabs, tab_names, strict=True):
        with tab:
            if tab_name == "Funnel plot":
                if figures.get("funnel") is not None:
                    st.plotly_chart(figures["funnel"], key="audit_funnel")
                else:
                    st.info("No funnel plot for this caseload.")
                continue
            if tab_name == "Report":
                st.download_button(
                    "Download the HTML report",
                    lambda: cache.audit_html(data, *config),
                    file_name="audit_report.html",
                    mime="text/html",
                    on_click="ignore",
                    key="download_audit_report",
                    type="primary",
                )
                st.download_button(
                    "Download the findings (JSON)",
                    lambda: cache.audit_json(data, *config),
                    file_name="audit_findings.json",
                    mime="application/json",
                    on_click="ignore",
                    key="download_audit_json",
                )
                continue
            if tab_name in figures and figures[tab_name] is not None:
                st.plotly_chart(figures[tab_name], key=f"audit_fig_{tab_name}")
            shown = [k for k in tables if any(w in k.lower() for w in groups[tab_name])]
            if tab_name == "Providers":
                shown += [
                    k
                    for k in tables
                    if not any(w in k.lower() for ws in groups.values() for w in ws)
                ]
            for key in shown:
                st.markdown(f"**{key.replace('_', ' ').capitalize()}**")
                table = tables[key].copy()
                table.attrs = {}  # audit metadata (not for display)
                st.dataframe(
                    table, hide_index=True, key=f"audit_table_{key}", placeholder="suppressed"
                )
