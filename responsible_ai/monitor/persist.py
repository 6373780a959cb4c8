"""A monitor's state and windows as JSON: what ``--state`` keeps and ``--windows`` writes.

``--state`` files are written as an index plus a folder of parts (:mod:`.state_files`); a state
file of the first format (one JSON document, :func:`state_json`) still loads.
"""

from __future__ import annotations

import json
import os
from typing import Any

from responsible_ai.errors import InputError
from responsible_ai.monitor.profile import ReferenceProfile
from responsible_ai.monitor.windows import WindowCounts

__all__ = ["BAD_STATE", "plain_json", "read_state", "state_json", "windows_json", "write_state"]

STATE_FORMAT = "rai-monitor-state/1"
BAD_STATE = "{path} is not a monitor state written by rai monitor --state ({reason})"


def state_json(state: Any) -> str:
    """The state (counts, reference profile, windows) as one JSON document (the first format;
    ``--state`` now writes :func:`write_state`'s)."""
    return json.dumps(
        {
            "format": STATE_FORMAT,
            "counts": state.counts.to_json(),
            "profile": None if state.profile is None else state.profile.to_json(),
            "windows": state.windows,
        },
        allow_nan=False,
        default=_plain,
    )


def plain_json(value: Any) -> str:
    """``value`` as compact JSON (NumPy scalars as numbers)."""
    return json.dumps(value, allow_nan=False, default=_plain, separators=(",", ":"))


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON: {type(value).__name__}")


def read_state(path: str | os.PathLike[str]) -> Any:
    """The state written by :func:`state_json`.

    Raises
    ------
    InputError
        Not such a file.
    """
    from pathlib import Path

    from pyarrow import ArrowException as ArrowError

    from responsible_ai.monitor.state import MonitorState
    from responsible_ai.monitor.state_files import STATE_FORMAT as INDEX_FORMAT
    from responsible_ai.monitor.state_files import read_stored

    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        if data.get("format") == INDEX_FORMAT:
            return read_stored(Path(path), data)
        if data.get("format") != STATE_FORMAT:
            raise ValueError("no format marker")
        profile = None if data["profile"] is None else ReferenceProfile.from_json(data["profile"])
        return MonitorState(WindowCounts.from_json(data["counts"]), profile, list(data["windows"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError, ArrowError) as exc:
        raise InputError(BAD_STATE.format(path=path, reason=type(exc).__name__)) from None


def write_state(
    path: str | os.PathLike[str],
    state: Any,
    *,
    inputs: Any = (),
    logs: str | os.PathLike[str] | None = None,
) -> None:
    """Write ``state`` for ``--state``: appended to the state it continues when that is
    ``path`` (see :mod:`responsible_ai.monitor.state_files`), every write atomic. Give ``logs``
    (what :func:`~responsible_ai.monitor.run.monitor` read) to have a state whose parts would be
    read as logs refused, as ``rai monitor`` does."""
    from responsible_ai.monitor.state_files import write_stored

    write_stored(path, state, inputs=inputs, logs=logs)


def windows_json(result: Any) -> str:
    """Every window's numbers and every sequential test's path, for dashboards."""
    sequential = {
        rule: {
            "tolerance": r.tolerance,
            "alpha": r.alpha,
            "log_wealth_boundary": r.threshold,
            "pairs": [
                {
                    "high": p.high,
                    "low": p.low,
                    "gaps": p.gaps,
                    "log_wealth": p.log_wealth,
                    "alarm_window": p.alarm_window,
                }
                for p in r.pairs
            ],
        }
        for rule, r in result.sequential.items()
    }
    return json.dumps(
        {"monitor": result.name, "windows": result.windows, "sequential": sequential},
        allow_nan=False,
        default=_plain,
        indent=1,
    )
