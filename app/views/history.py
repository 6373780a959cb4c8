"""History: runs to review first (each can be opened), past runs and reviews, two runs compared."""

from __future__ import annotations

from typing import Any

import streamlit as st
from common import attempt, md, open_run, store
from presentation import show_reviews, show_runs

from responsible_ai.report.plain import reviews_frame
from responsible_ai.review import compare_runs
from responsible_ai.store.run_list import run_summaries

st.title("History")
the_store = store()
runs = attempt(the_store.history)
if runs is None or runs.empty:
    st.info("No runs yet.")
    st.stop()
assert runs is not None
reviews = the_store.reviews()
# What blocks each run, in the Overview's words: the review state's own counts, by why, from the
# findings table (one query, no report read again).
summaries = {s["id"]: s["what_blocks"] for s in run_summaries(the_store, limit=len(runs))}
blocks = [summaries.get(int(run), "") for run in runs["run"]]
runs.insert(int(runs.columns.get_loc("verdict_after_waivers")) + 1, "what blocks", blocks)
runs = runs.drop(columns=["failing_checks"])
blocking_of = dict(zip((int(r) for r in runs["run"]), blocks, strict=True))


def _open_button(number: int, where: str) -> None:
    clicked = st.button("Open", key=f"open_{where}_{number}", help=f"Review run {number}")
    if clicked and open_run(number) is not None:
        st.switch_page("views/overview.py")


def _run_line(row: Any) -> str:
    decided = f" by {md(row.decided_by)}" if row.decided_by else ""
    changed = f" · **{md(row.policy_change)}**" if row.policy_change else ""
    return (
        f"**Run {row.run}** · {md(row.label)} · {md(row.policy)} · verdict "
        f"{row.verdict.upper()} · {md(blocking_of[int(row.run)])} · review **{row.review}**"
        f"{decided} ({row.reviews} review(s)){changed}"
    )


# The inbox: runs nobody has decided yet (and approvals whose waivers lapsed), oldest first.
waiting = runs[runs["review"].isin(["pending", "approval lapsed"])].iloc[::-1]
st.subheader(f"Runs to review ({len(waiting)})")
if waiting.empty:
    st.caption("Nothing waits for a review.")
for row in waiting.head(20).itertuples():
    line, action = st.columns([12, 1], vertical_alignment="center")
    line.markdown(_run_line(row))
    with action:
        _open_button(int(row.run), "inbox")

st.subheader("Runs")
for row in runs.head(5).itertuples():
    line, action = st.columns([12, 1], vertical_alignment="center")
    line.markdown("- " + _run_line(row))
    with action:
        _open_button(int(row.run), "recent")
# headers in words (``verdict after waivers``), wrapped: every column readable without scrolling
show_runs(runs)
chosen = st.selectbox("Open another run", [int(i) for i in runs["run"]], index=None, key="open_id")
if chosen is not None:
    _open_button(int(chosen), "chosen")

st.subheader("Reviews")
if reviews:
    show_reviews(reviews_frame(list(reversed(reviews))), wrap=True)
else:
    st.caption("No review yet.")
check = attempt(the_store.verify)  # a keyed store without its key: one error, the fix in it
if check is None:
    pass
elif check.ok:
    st.caption(
        f"Review chain intact ({check.reviews} reviews), and the chains of {check.runs} runs "
        f"and their findings; head {check.head}"
    )
    if check.warning:
        st.caption(md(check.warning))
else:
    st.error(f"The store's chain is broken: {md(check.problem)}. Run `rai store verify`.")

st.subheader("Compare two runs")
ids = [int(i) for i in runs["run"]]
if len(ids) < 2:
    st.caption("Compare needs two runs: re-run the audit with an edited policy or upload data.")
    st.stop()
names = {
    i: f"run {i} · {row.label} · {row.verdict}"
    for i, row in zip(ids, runs.itertuples(), strict=True)
}
left, right = st.columns(2)
before = left.selectbox("Before", ids, index=1, format_func=names.__getitem__)
after = right.selectbox("After", ids, index=0, format_func=names.__getitem__)
table = attempt(lambda: compare_runs(the_store.report(before), the_store.report(after)))
if table is not None:
    changed = table[table["change"] != "same"]
    moved = table[~table["requirement"].isin(["requirement unchanged", None])]
    st.markdown(
        f"{len(changed)} of {len(table)} checks changed; the requirement of {len(moved)} "
        "moved (a check that passes only because its requirement was loosened says so)."
    )
    st.dataframe(table, hide_index=True, width="stretch")
