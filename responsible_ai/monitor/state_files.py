"""A monitor's state on disk: a small index file plus a folder of parts, appended to by
``--follow``.

``--state FILE`` writes FILE (the index: files counted, the reference profile, which part holds
each window) and the folder ``FILE.parts`` next to it. A part is what one run changed: the count
tables of its windows (Parquet), their results (JSON) and the sequential tests' state (NumPy).
``--follow`` writes one new part with the windows its new files touched and replaces FILE; it
reads only FILE, the windows' results and the tests' state, plus the count rows of the windows it
touches. The parts are written first, each atomically, then FILE: a run that stops half-way leaves
the old FILE, which names only old parts, whole. Parts no longer named are removed afterwards;
past ``MAX_PARTS`` parts the next write puts everything in one part again.
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
from pathlib import Path
from typing import Any

from responsible_ai.errors import InputError
from responsible_ai.monitor.state import MonitorState
from responsible_ai.monitor.windows import WindowCounts

__all__ = [
    "MAX_PARTS",
    "STATE_AMONG_LOGS",
    "STATE_FORMAT",
    "StoredState",
    "read_stored",
    "refuse_state_among_logs",
    "write_stored",
]

STATE_FORMAT = "rai-monitor-state/2"
#: Parts kept before a write puts every window in one part again.
MAX_PARTS = 24
STATE_AMONG_LOGS = (
    "--state {state} would keep its parts inside the logs folder {logs} (read as logs by the "
    "next run); keep the state outside the logs folder"
)
_TABLES = ("groups", "scores", "features")
_CARRY = ("hits", "sizes", "totals", "wealth", "best", "first", "gapped", "start")
_ROW_GROUP = 65_536  # rows sorted by window: a read of a few windows skips the other groups


class StoredState:
    """An index file read (``manifest``) and the folder of its parts; tables read on demand."""

    def __init__(self, path: Path, manifest: dict[str, Any]) -> None:
        self.path = path
        self.manifest = manifest
        # Names from the file only ever lead into its own folder: parts are read, and removed
        # once superseded, by these names.
        folder = manifest["parts"]
        if (
            not isinstance(folder, str)
            or Path(folder).name != folder
            or not folder.endswith(".parts")
        ):
            raise ValueError(f"its parts folder {str(folder)[:40]!r} is not a name beside it")
        self.folder = path.parent / str(manifest["parts"])
        self.owner: dict[str, str] = {str(w): _part_name(p) for w, p in manifest["windows"]}
        if manifest.get("sequential"):
            _part_name(manifest["sequential"]["part"])
        meta = WindowCounts.empty(list(manifest["sensitive"]))
        meta.rows_total = int(manifest["rows_total"])
        if meta.rows_total < 0:
            raise ValueError("a negative row count")
        meta.files = dict(manifest["files"])
        meta.stamps = dict(manifest["stamps"])
        self.meta = meta

    def files(self) -> set[str]:
        """The file names (in :attr:`folder`) this index needs."""
        parts = set(self.owner.values())
        names = {f"{p}.{t}.parquet" for p in parts for t in _TABLES}
        names |= {f"{p}.{kind}.json" for p in parts for kind in ("windows", "summary")}
        if self.manifest.get("sequential"):
            names.add(f"{self.manifest['sequential']['part']}.sequential.npz")
        return names

    def _table(self, part: str, table: str, windows: set[str] | None, fresh: set[str]) -> Any:
        """The rows of ``part`` (of ``windows``: None for all) that are still its: of windows it
        holds the newest counts of, not in ``fresh``."""
        import pandas as pd
        from pyarrow import ArrowException as ArrowError

        from responsible_ai.monitor.persist import BAD_STATE

        where = self.folder / f"{part}.{table}.parquet"
        wanted = None if windows is None else [("window", "in", sorted(windows))]
        try:
            frame = pd.read_parquet(where, filters=wanted)
        except (OSError, ValueError, ArrowError) as exc:
            raise InputError(BAD_STATE.format(path=self.path, reason=type(exc).__name__)) from None
        if "window" in frame:
            frame["window"] = frame["window"].astype(str)
        mine = frame["window"].map(self.owner).to_numpy() == part
        if fresh:
            mine &= ~frame["window"].isin(fresh).to_numpy()
        return frame[mine] if not mine.all() else frame

    def counts_of(self, windows: set[str] | None, changed: WindowCounts | None) -> WindowCounts:
        """The counts of ``windows`` (None: all), ``changed`` ones from ``changed``."""
        import pandas as pd

        fresh = set() if changed is None else set(changed.windows)
        wanted = {*self.owner, *fresh} if windows is None else set(windows)
        kept = wanted - fresh  # read from the parts; the others from ``changed``
        parts = sorted({self.owner[w] for w in kept if w in self.owner})
        meta = self.meta if changed is None else changed
        tables = {}
        for table in _TABLES:
            frames = [
                self._table(p, table, None if windows is None else kept, fresh) for p in parts
            ]
            if changed is not None:
                theirs = getattr(changed, table)
                frames.append(theirs[theirs["window"].isin(wanted & fresh)])
            frames = [f for f in frames if len(f)]
            if not frames:
                tables[table] = getattr(WindowCounts.empty(meta.sensitive), table)
                continue
            joined = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
            tables[table] = joined.sort_values("window", kind="stable").reset_index(drop=True)
        return WindowCounts(
            list(meta.sensitive),
            tables["groups"],
            tables["scores"],
            tables["features"],
            meta.rows_total,
            dict(meta.files),
            dict(meta.stamps),
        )

    def counts(self, changed: WindowCounts | None = None) -> WindowCounts:
        """Every window's counts."""
        return self.counts_of(None, changed)

    def _results(self, part: str, kind: str) -> dict[str, dict[str, Any]]:
        text = (self.folder / f"{part}.{kind}.json").read_text(encoding="utf-8")
        return {w["window"]: w for w in json.loads(text) if self.owner.get(w["window"]) == part}

    def windows(self) -> list[dict[str, Any]]:
        """Every window's results without their per-group numbers (see :func:`light_window`),
        in window order."""
        found: dict[str, dict[str, Any]] = {}
        for part in sorted(set(self.owner.values())):
            found.update(self._results(part, "summary"))
        return [found[w] for w, _ in self.manifest["windows"]]

    def full_windows(self, windows: set[str]) -> dict[str, dict[str, Any]]:
        """The results of ``windows`` in full: window -> results."""
        from responsible_ai.monitor.persist import BAD_STATE

        found: dict[str, dict[str, Any]] = {}
        try:
            for part in sorted({self.owner[w] for w in windows if w in self.owner}):
                found.update(self._results(part, "windows"))
        except (OSError, ValueError) as exc:
            raise InputError(BAD_STATE.format(path=self.path, reason=type(exc).__name__)) from None
        return {w: found[w] for w in windows if w in found}

    def sequential(self, windows: list[str]) -> dict[str, Any]:
        """The sequential tests kept (rule id -> SequentialResult); none if they do not match
        ``windows``."""
        import numpy as np

        from responsible_ai.monitor.sequential import SequentialResult

        kept = self.manifest.get("sequential")
        if not kept:
            return {}
        results = {}
        with np.load(self.folder / f"{kept['part']}.sequential.npz", allow_pickle=False) as data:
            for i, rule in enumerate(kept["rules"]):
                arrays = {k: data[f"{i}.{k}"] for k in _CARRY}
                if len(arrays["hits"]) != len(windows):
                    return {}
                result = SequentialResult(
                    rule["tolerance"],
                    rule["alpha"],
                    rule["threshold"],
                    windows=list(windows),
                    groups=list(rule["groups"]),
                    hits=arrays.pop("hits"),
                    sizes=arrays.pop("sizes"),
                    lookback=int(rule["lookback"]),
                    min_rows=int(rule["min_rows"]),
                    carry=arrays,
                )
                result.subject = tuple(rule["subject"])
                results[rule["id"]] = result
        return results


def read_stored(path: Path, manifest: dict[str, Any]) -> MonitorState:
    """The state of an index file already parsed (``manifest``)."""
    from responsible_ai.monitor.profile import ReferenceProfile

    stored = StoredState(path, manifest)
    profile = manifest["profile"]
    windows = stored.windows()
    names = [w["window"] for w in windows]
    return MonitorState(
        None,
        None if profile is None else ReferenceProfile.from_json(profile),
        windows,
        sequential=stored.sequential(names),
        stored=stored,
        light=set(names),
    )


def light_window(window: dict[str, Any]) -> dict[str, Any]:
    """A window's results without their per-group numbers (``performance``, each check's
    ``groups``): what the alerts read of every window, a twentieth of the size."""
    light = {k: v for k, v in window.items() if k != "performance"}
    light["checks"] = {
        name: {k: v for k, v in check.items() if k != "groups"}
        for name, check in window.get("checks", {}).items()
    }
    return light


_PART = re.compile(r"[0-9]{6}-[0-9a-f]{6}")


def _part_name(name: Any) -> str:
    """A part's name as this module writes it (``000012-3fa9c1``), or ValueError."""
    if not isinstance(name, str) or not _PART.fullmatch(name):
        raise ValueError(f"{str(name)[:40]!r} is not a part name")
    return name


def _old_index(path: Path) -> StoredState | None:
    """The index file at ``path`` if it is one whose parts live in its own folder."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        if manifest.get("format") == STATE_FORMAT and manifest["parts"] == f"{path.name}.parts":
            return StoredState(path, manifest)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    return None


def _parquet(frame: Any) -> bytes:
    buffer = io.BytesIO()
    frame.reset_index(drop=True).to_parquet(
        buffer, index=False, compression="zstd", row_group_size=_ROW_GROUP
    )
    return buffer.getvalue()


def write_stored(
    path: str | os.PathLike[str],
    state: MonitorState,
    *,
    inputs: Any = (),
    logs: str | os.PathLike[str] | None = None,
) -> None:
    """Write ``state`` to the index file ``path`` and its parts folder (see the module doc):
    only the changed windows when ``state`` continues this very file. With ``logs`` (the
    folder or glob the state counts), a parts folder inside it is refused first
    (:func:`refuse_state_among_logs`)."""
    from responsible_ai._atomic import guard_output, write_bytes_atomic, write_output
    from responsible_ai.monitor.persist import plain_json

    guard_output(path, inputs, flag="--state")  # before any part: a refused index leaves none
    if logs is not None:
        refuse_state_among_logs(path, logs)
    target = Path(path)
    folder_name = f"{target.name}.parts"
    folder = target.parent / folder_name
    before = _old_index(target)
    stored = state.stored
    append = (
        stored is not None
        and not state.loaded  # counts in memory are written whole
        and before is not None
        and stored.folder.resolve() == folder.resolve()
        and stored.manifest == before.manifest
        and len(set(stored.owner.values())) < MAX_PARTS
    )
    number = 1 + max(
        (int(p.split("-")[0]) for p in (before.owner.values() if before else ())), default=0
    )
    part = f"{number:06d}-{secrets.token_hex(3)}"
    if append:
        assert stored is not None
        counts = state.changed
        owner = dict(stored.owner)
        names = set() if counts is None else set(counts.windows)
    else:
        counts = state.counts
        owner = {}
        names = set(state.window_names)
    if names:
        assert counts is not None
        for table in _TABLES:
            frame = getattr(counts, table)
            frame = frame[frame["window"].isin(names)]
            write_bytes_atomic(folder / f"{part}.{table}.parquet", _parquet(frame), inputs=inputs)
        # Changed windows are in full (computed by this run); all of them when writing anew.
        shown = [w for w in (state.entries if append else state.windows) if w["window"] in names]
        for kind, text in (
            ("windows", plain_json(shown)),
            ("summary", plain_json([light_window(w) for w in shown])),
        ):
            write_bytes_atomic(folder / f"{part}.{kind}.json", text.encode(), inputs=inputs)
        owner.update({w: part for w in names})
    meta = state.meta
    manifest = {
        "format": STATE_FORMAT,
        "parts": folder_name,
        "sensitive": meta.sensitive,
        "rows_total": meta.rows_total,
        "files": meta.files,
        "stamps": meta.stamps,
        "profile": None if state.profile is None else state.profile.to_json(),
        "windows": [[w, owner[w]] for w in state.window_names],
        "sequential": _write_sequential(folder, part, state, inputs),
    }
    write_output(target, plain_json(manifest), inputs=inputs)
    if before is not None:
        written = StoredState(target, manifest)
        for name in before.files() - written.files():
            (folder / name).unlink(missing_ok=True)


def _write_sequential(folder: Path, part: str, state: MonitorState, inputs: Any) -> Any:
    import numpy as np

    from responsible_ai._atomic import write_bytes_atomic

    if not state.sequential:
        return None
    arrays: dict[str, Any] = {}
    rules = []
    for i, (rule_id, result) in enumerate(state.sequential.items()):
        rules.append(
            {
                "id": rule_id,
                "subject": list(getattr(result, "subject", ())),
                "tolerance": result.tolerance,
                "alpha": result.alpha,
                "threshold": result.threshold,
                "lookback": result.lookback,
                "min_rows": result.min_rows,
                "groups": list(result.groups),
            }
        )
        arrays.update({f"{i}.hits": result.hits, f"{i}.sizes": result.sizes})
        arrays.update({f"{i}.{k}": v for k, v in result.carry.items()})
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    write_bytes_atomic(folder / f"{part}.sequential.npz", buffer.getvalue(), inputs=inputs)
    return {"part": part, "rules": rules}


def refuse_state_among_logs(state: str | os.PathLike[str], logs: str | os.PathLike[str]) -> None:
    """Refuse a state whose parts (Parquet files, in ``STATE.parts``) would land where the logs
    are read from: the next run would read them as prediction logs.

    Raises
    ------
    InputError
        ``STATE_AMONG_LOGS``.
    """
    import glob as globbing

    text = os.fspath(logs)
    if globbing.has_magic(text):
        parts = Path(text).parts
        plain = next((i for i, part in enumerate(parts) if globbing.has_magic(part)), len(parts))
        home = Path(*parts[:plain]) if plain else Path(".")
    elif Path(text).is_dir():
        home = Path(text)
    else:
        return
    folder = Path(state).parent / f"{Path(state).name}.parts"
    if folder.resolve().is_relative_to(home.resolve()):
        raise InputError(STATE_AMONG_LOGS.format(state=os.fspath(state), logs=text))
