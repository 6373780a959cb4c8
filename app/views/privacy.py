"""Privacy: identifier columns, k-anonymity and re-identification risk, the DP budget ledger.

Direct identifiers are said first, in red: no k or risk figure means anything while names or
e-mails are in the table. Quasi-identifiers default to the policy's, else to those the detector
finds (dates of birth, ZIP codes, age, sex), never to a column picked by its position.
"""

from __future__ import annotations

from typing import Any

import streamlit as st
from common import attempt, current_run, md, run_id, stored_run_notice

from responsible_ai.audit_run import AuditRun, policy_from_text


def _measure_name(key: object) -> str:
    """``unique_records_share`` as ``unique records (share)``: the summary's keys, readable."""
    return str(key).replace("_share", " (share)").replace("_", " ")


st.title("Privacy")
stored_run_notice("the privacy scan", "privacy")  # a run from the store has no data
run = current_run()
try:
    from responsible_ai.privacy import anonymity_summary, detect_identifiers
    from responsible_ai.privacy.quasi import direct_identifiers, quasi_identifiers
except ImportError:
    st.info(
        "Identifier detection and anonymity measures are not available in this installation "
        "(responsible_ai.privacy.detect_identifiers is missing)."
    )
    detect_identifiers = anonymity_summary = None  # type: ignore[assignment]


@st.cache_data(show_spinner="Looking for identifier columns…", max_entries=8)
def _identifiers(run_number: int, policy_text: str, _run: AuditRun) -> Any:
    # Keyed by the policy text too: its quasi-identifiers decide the defaults below.
    assert detect_identifiers is not None
    settings = policy_from_text(_run.policy_text, _run.policy_dir, _run.policy_name).policy.privacy
    found = detect_identifiers(_run.frame, settings.detection_sample_size)
    direct = direct_identifiers(found, settings.min_confidence)
    quasi, source = quasi_identifiers(_run.frame, settings, found)
    sensitive = [c for c in settings.sensitive_attributes if c in _run.frame.columns]
    return found, direct, quasi, source, sensitive


if detect_identifiers is not None and anonymity_summary is not None:
    identified = attempt(lambda: _identifiers(run_id(), run.policy_text, run))
    if identified is not None:
        found, direct, suggested, source, policy_sensitive = identified
        if len(direct):
            listed = ", ".join(f"{md(row.column)} ({md(row.kind)})" for row in direct.itertuples())
            st.error(
                f"This table holds direct identifiers: {listed}. Anyone who sees it can name "
                "the people in it, whatever k or risk say below: drop, mask or pseudonymize "
                "these columns (rai anonymize) before the data is shared.",
                icon="🚫",
            )
        st.subheader("Identifier columns")
        if len(found):
            st.dataframe(found, hide_index=True, width="stretch")
        else:
            st.caption("No column looks like a direct identifier or personal data.")
        st.subheader("k-anonymity and re-identification risk")
        columns = [str(c) for c in run.frame.columns]
        if suggested:
            st.caption(f"Quasi-identifiers {md(source)}: " + ", ".join(md(c) for c in suggested))
        quasi = st.multiselect(
            "Quasi-identifiers (columns an attacker could know)",
            columns,
            default=[c for c in suggested if c in columns],
        )
        sensitive = st.multiselect(
            "Sensitive attributes (for l-diversity and t-closeness)",
            columns,
            default=[c for c in (policy_sensitive or run.sensitive) if c not in quasi],
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
                    [
                        {"measure": _measure_name(key), "value": str(value)}
                        for key, value in summary.items()
                    ],
                    hide_index=True,
                    width="stretch",
                )
        else:
            st.caption(
                "No quasi-identifier in the policy (privacy.quasi_identifiers) or found in the "
                "data: choose the columns an attacker could know to measure k and risk."
            )

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
