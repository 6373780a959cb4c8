"""Engines: where the per-group counts of a fairness audit are computed.

Every count-based fairness metric, interval and significance test is a function of the per-group
confusion counts (:class:`responsible_ai.fairness.groups.GroupCounts`), which merge. So the pass
over the rows can run where the data lives and only the small counts table comes back:

- ``pandas``: Parquet read in batches by pyarrow, counted with NumPy (the default);
- ``duckdb``: one ``GROUP BY`` inside DuckDB over Parquet or CSV files, folders and globs, out
  of core under a memory limit (``pip install 'responsible-ai[duckdb]'``);
- ``spark``: one ``groupBy`` on Spark's executors, of a Spark DataFrame or of files, a model's
  predictions computed on the executors (``pip install 'responsible-ai[spark]'``);
- ``sql``: one ``GROUP BY`` inside a database (PostgreSQL, SQLite, ...) through SQLAlchemy Core,
  of a table or view named by the user.

Each engine returns a :class:`~responsible_ai.engines.counts.CountsPass` (the counts of every
grouping plus the distinct labels and the facts the data checks need);
:func:`~responsible_ai.engines.counts.finish_pass` turns it into the audit's data the same way for
every engine, so the reports are equal bar the engine note.
"""

from __future__ import annotations

__all__ = ["ENGINES"]

#: Engine names accepted by ``rai check --engine`` and ``audit(engine=...)``.
ENGINES: tuple[str, ...] = ("pandas", "duckdb", "spark", "sql")
