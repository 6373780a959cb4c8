"""Privacy: identifier columns, k-anonymity and re-identification risk, the DP budget ledger."""

from __future__ import annotations

from typing import Any

import streamlit as st
from common import attempt, current_run, run_id, stored_run_notice

from responsible_ai.audit_run import AuditRun

st.title("Privacy")
stored_run_notice("the privacy scan", "privacy")  # a run from the store has no data
run = current_run()
try:
    from responsible_ai.privacy import anonymity_summary, detect_identifiers
except ImportError:
    st.info(
        "Identifier detection and anonymity measures are not available in this installation "
        "(responsible_ai.privacy.detect_identifiers is missing)."
    )
    detect_identifiers = anonymity_summary = None  # type: ignore[assignment]


@st.cache_data(show_spinner="Looking for identifier columns…", max_entries=8)
def _identifiers(run_number: int, _run: AuditRun) -> Any:
    assert detect_identifiers is not None
    return detect_identifiers(_run.frame)


if detect_identifiers is not None and anonymity_summary is not None:
    found = attempt(lambda: _identifiers(run_id(), run))
    if found is not None:
        st.subheader("Identifier columns")
        st.dataframe(found, hide_index=True, width="stretch")
        kinds = found.set_index("column")["kind"].astype(str) if len(found) else None
        suggested = [c for c, kind in kinds.items() if "quasi" in kind] if kinds is not None else []
        st.subheader("k-anonymity and re-identification risk")
        columns = [str(c) for c in run.frame.columns]
        quasi = st.multiselect(
            "Quasi-identifiers (columns an attacker could know)",
            columns,
            default=[c for c in suggested if c in columns] or [c for c in run.sensitive][:1],
        )
        sensitive = st.multiselect(
            "Sensitive attributes (for l-diversity and t-closeness)",
            columns,
            default=[c for c in run.sensitive if c not in quasi],
        )
        if quasi:
            summary = attempt(lambda: anonymity_summary(run.frame, quasi, sensitive))
            if summary is not None:
                k, unique, risk = st.columns(3)
                k.metric("k (smallest group)", summary.get("k"))
                share = summary.get("unique_records_share")
                unique.metric("Unique records", f"{share:.1%}" if share is not None else "—")
                highest = summary.get("prosecutor_risk_max")
                risk.metric(
                    "Highest prosecutor risk", f"{highest:.1%}" if highest is not None else "—"
                )
                st.dataframe(
                    [{"measure": str(key), "value": str(value)} for key, value in summary.items()],
                    hide_index=True,
                    width="stretch",
                )
        else:
            st.caption("Choose at least one quasi-identifier to measure k and risk.")

st.subheader("Differential privacy budget ledger")
try:
    from responsible_ai.privacy.dp import BudgetLedger
except ImportError:
    st.info("The DP budget ledger is not available in this installation.")
else:
    entries = attempt(lambda: BudgetLedger().entries())
    if entries is not None:
        if len(entries):
            st.dataframe(entries, hide_index=True, width="stretch")
        else:
            st.caption("No differentially private release has been recorded yet.")
