"""What ``rai mitigate`` prints: the comparison table, then the choice and why."""

from __future__ import annotations

from typing import Any

from responsible_ai.report.escaping import escape_terminal
from responsible_ai.report.mitigation import comparison_rows

__all__ = ["summary_lines"]


def summary_lines(section: dict[str, Any]) -> list[str]:
    """Plain-text lines for a terminal (every user string escaped)."""
    rows = comparison_rows(section)
    columns = [c for c in rows[0] if c != "verdict"]
    widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in columns}
    split = section["split"]
    lines = [
        f"{len(section['candidates'])} candidate(s) refit on {split['train_rows']} rows, audited "
        f"on {split['test_rows']} held-out rows; constraint {section['constraint'] or '-'} by "
        f"{' x '.join(section['by'])}; cost = loss of {section['metric']} [95% interval]",
        "  ".join(escape_terminal(c).ljust(widths[c]) for c in columns).rstrip(),
    ]
    for row in rows:
        lines.append("  ".join(escape_terminal(row[c]).ljust(widths[c]) for c in columns).rstrip())
    if section["chosen"]:
        lines.append(f"chose {escape_terminal(section['reason'])}")
    else:
        lines.append(f"no candidate chosen: {escape_terminal(section['reason'])}")
    return lines
