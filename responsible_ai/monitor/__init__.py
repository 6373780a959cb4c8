"""Production monitoring: prediction logs cut into windows, fairness and drift per window, alerts.

Light on purpose (the policy schema imports :mod:`responsible_ai.monitor.settings`): the
computations live in the submodules and are imported where they are used.

- :mod:`~responsible_ai.monitor.windows`: mergeable per-window counts.
- :mod:`~responsible_ai.monitor.reading`: logs (CSV, Parquet, folders, globs) to counts, with
  DuckDB when installed, pyarrow batches otherwise.
- :mod:`~responsible_ai.monitor.drift`: drift statistics from binned histograms.
- :mod:`~responsible_ai.monitor.performance`: performance per group, realised and estimated.
- :mod:`~responsible_ai.monitor.sequential`: the anytime-valid test of a fairness gap.
- :mod:`~responsible_ai.monitor.alerts`: the policy's rules to findings.
- :mod:`~responsible_ai.monitor.run`: :func:`~responsible_ai.monitor.run.monitor`, all of it.
"""

from __future__ import annotations

__all__: list[str] = []
