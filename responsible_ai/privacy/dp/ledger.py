"""The privacy budget ledger: every DP operation on a dataset, and the cap that none may exceed.

The ledger is a table in a database reached through SQLAlchemy (a SQLite file by default). A charge
reads what the dataset has spent and records the new operations in one write transaction, so two
processes that race cannot both see the same remaining budget and overspend it.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from responsible_ai.errors import InputError, RAIError

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy.engine import Engine

__all__ = [
    "BUDGET_EXCEEDED",
    "LEDGER_COLUMNS",
    "NO_BUDGET",
    "BudgetExceededError",
    "BudgetLedger",
    "Operation",
    "current_user",
    "default_ledger_url",
]

LEDGER_ENV = "RAI_LEDGER_URL"
HOME_ENV = "RAI_HOME"
USER_ENV = "RAI_USER"
LEDGER_COLUMNS = (
    "time",
    "dataset",
    "operation",
    "mechanism",
    "epsilon",
    "delta",
    "sensitivity",
    "who",
    "status",
)
BUDGET_EXCEEDED = (
    "privacy budget exceeded for dataset {dataset!r}: this release needs epsilon {needed:g}, "
    "but {spent:g} of the budget {budget:g} is spent and only {remaining:g} remains; nothing "
    "was released (ask for less epsilon, or raise privacy.epsilon_budget if policy allows)"
)
NO_BUDGET = (
    "no privacy budget: set privacy.epsilon_budget in the policy (the cap on the total epsilon "
    "spent on one dataset) before releasing DP results"
)
BAD_EPSILON = (
    "The 'epsilon' of operation {operation!r} must be a float in the range (0, inf). "
    "Got {value!r} instead."
)
# Budgets are compared with a small tolerance so that, e.g., ten charges of 0.1 fit a budget of 1.
_TOLERANCE = 1e-9


class BudgetExceededError(RAIError):
    """A DP operation would spend more than the dataset's remaining privacy budget."""

    def __init__(self, dataset: str, needed: float, spent: float, budget: float) -> None:
        self.dataset, self.needed, self.spent, self.budget = dataset, needed, spent, budget
        self.remaining = max(0.0, budget - spent)
        super().__init__(
            BUDGET_EXCEEDED.format(
                dataset=dataset, needed=needed, spent=spent, budget=budget, remaining=self.remaining
            )
        )


@dataclass(frozen=True)
class Operation:
    """One DP operation as the ledger records it.

    Parameters
    ----------
    operation : str
        What was released, such as ``"mean(age) by sex"``.
    mechanism : str
        The noise mechanism, such as ``"Laplace"`` or ``"Geometric"``.
    epsilon : float
        Privacy loss of the operation.
    delta : float, default 0.0
        Probability of exceeding epsilon (0 for pure epsilon-DP).
    sensitivity : float or None
        Sensitivity the noise was calibrated to.
    """

    operation: str
    mechanism: str
    epsilon: float
    delta: float = 0.0
    sensitivity: float | None = None


def current_user() -> str:
    """Who asks: env ``RAI_USER`` if set, else the operating-system user."""
    user = os.environ.get(USER_ENV)
    if user:
        return user
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def default_ledger_url() -> str:
    """``$RAI_LEDGER_URL`` if set, else the SQLite file ``ledger.sqlite`` under ``$RAI_HOME``."""
    url = os.environ.get(LEDGER_ENV)
    if url:
        return url
    home = Path(os.environ.get(HOME_ENV) or Path.home() / ".responsible-ai")
    return str(home / "ledger.sqlite")


def _as_url(location: str) -> str:
    if "://" in location:
        return location
    path = Path(location).expanduser()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"cannot create the folder of the budget ledger {path}: {exc.strerror}; set "
            f"privacy.ledger or {LEDGER_ENV} to a writable SQLite path or SQLAlchemy URL"
        ) from None
    return f"sqlite:///{path}"


class BudgetLedger:
    """A persistent record of the privacy budget spent on each dataset.

    Parameters
    ----------
    url : str, optional
        A SQLite file path or an SQLAlchemy URL. None: env ``RAI_LEDGER_URL``, else
        ``$RAI_HOME/ledger.sqlite`` (``RAI_HOME`` defaults to ``~/.responsible-ai``).

    Examples
    --------
    >>> import tempfile, os
    >>> ledger = BudgetLedger(os.path.join(tempfile.mkdtemp(), "ledger.sqlite"))
    >>> _ = ledger.charge("adult", [Operation("count()", "Geometric", 0.5)], budget=1.0, who="ann")
    >>> ledger.spent("adult"), ledger.remaining("adult", 1.0)
    (0.5, 0.5)
    """

    def __init__(self, url: str | None = None) -> None:
        self.url = _as_url(url or default_ledger_url())
        self._engine: Engine | None = None

    def __repr__(self) -> str:
        return f"BudgetLedger({self.location!r})"

    @property
    def location(self) -> str:
        """The URL with any password hidden: safe to print and log."""
        from sqlalchemy.engine import make_url

        try:
            return make_url(self.url).render_as_string(hide_password=True)
        except Exception:
            return "<unparseable ledger URL>"

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = _connect(self.url)
        return self._engine

    def entries(self, dataset: str | None = None) -> pd.DataFrame:
        """Every recorded operation, oldest first, optionally of one dataset.

        Returns
        -------
        DataFrame
            Columns ``time, dataset, operation, mechanism, epsilon, delta, sensitivity, who,
            status``; ``status`` is ``spent`` or ``refused`` (over budget, nothing released).
        """
        import pandas as pd
        from sqlalchemy import select

        table = _table()
        query = select(*[table.c[name] for name in LEDGER_COLUMNS]).order_by(table.c.id)
        if dataset is not None:
            query = query.where(table.c.dataset == dataset)
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        frame = pd.DataFrame([tuple(row) for row in rows], columns=list(LEDGER_COLUMNS))
        frame["time"] = pd.to_datetime(frame["time"], utc=True)
        for column in ("epsilon", "delta", "sensitivity"):
            frame[column] = frame[column].astype(float)
        return frame

    def spent(self, dataset: str) -> float:
        """Total epsilon spent on ``dataset`` (refused operations cost nothing)."""
        with self.engine.connect() as connection:
            return _spent(connection, dataset)

    def remaining(self, dataset: str, budget: float) -> float:
        """What is left of ``budget`` for ``dataset``; never below 0."""
        return max(0.0, float(budget) - self.spent(dataset))

    def charge(
        self,
        dataset: str,
        operations: Sequence[Operation],
        budget: float | None,
        who: str | None = None,
    ) -> float:
        """Spend the epsilon of ``operations`` on ``dataset``, all of them or none.

        Call this *before* drawing any noise. Within one write transaction it reads what the
        dataset has spent and either records every operation as ``spent`` or, if the total would
        exceed ``budget``, records them as ``refused`` and raises.

        Returns
        -------
        float
            The epsilon remaining after the charge.

        Raises
        ------
        BudgetExceededError
            The operations together need more than what remains; nothing is spent.
        InputError
            No budget is set, or an operation's epsilon is not a positive number.
        """
        if budget is None:
            raise InputError(NO_BUDGET)
        for op in operations:
            if not (isinstance(op.epsilon, int | float) and 0 < op.epsilon < float("inf")):
                raise InputError(BAD_EPSILON.format(operation=op.operation, value=op.epsilon))
        needed = float(sum(op.epsilon for op in operations))
        who = who or current_user()
        with self.engine.begin() as connection:
            spent = _spent(connection, dataset)
            allowed = spent + needed <= float(budget) + _TOLERANCE
            _record(connection, dataset, operations, who, "spent" if allowed else "refused")
        if not allowed:
            raise BudgetExceededError(dataset, needed, spent, float(budget))
        return max(0.0, float(budget) - spent - needed)


def _table() -> Any:
    from sqlalchemy import Column, DateTime, Float, Integer, MetaData, String, Table

    global _TABLE
    if _TABLE is None:
        _TABLE = Table(
            "dp_budget_ledger",
            MetaData(),
            Column("id", Integer, primary_key=True, autoincrement=True),
            Column("time", DateTime(timezone=True), nullable=False),
            Column("dataset", String(200), nullable=False, index=True),
            Column("operation", String(500), nullable=False),
            Column("mechanism", String(100), nullable=False),
            Column("epsilon", Float, nullable=False),
            Column("delta", Float, nullable=False),
            Column("sensitivity", Float, nullable=True),
            Column("who", String(200), nullable=False),
            Column("status", String(20), nullable=False),
        )
    return _TABLE


_TABLE: Any = None


def _connect(url: str) -> Engine:
    from sqlalchemy import create_engine, event

    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": 60})

            # pysqlite defers BEGIN until the first write; BEGIN IMMEDIATE takes the write lock
            # before the budget is read, so concurrent charges are serialised.
            @event.listens_for(engine, "connect")
            def _no_implicit_transactions(dbapi_connection: Any, _record: Any) -> None:
                dbapi_connection.isolation_level = None

            @event.listens_for(engine, "begin")
            def _begin_immediate(connection: Any) -> None:
                connection.exec_driver_sql("BEGIN IMMEDIATE")

        else:
            engine = create_engine(url, isolation_level="SERIALIZABLE")
        _table().metadata.create_all(engine)
    except Exception as exc:
        detail = f": {exc}" if url.startswith("sqlite") else ""  # other URLs may hold secrets
        raise InputError(
            f"cannot open the budget ledger {_hidden(url)}: {type(exc).__name__}{detail} "
            f"(set privacy.ledger or {LEDGER_ENV} to a writable SQLite path or SQLAlchemy URL)"
        ) from exc
    return engine


def _hidden(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable URL>"


def _spent(connection: Any, dataset: str) -> float:
    from sqlalchemy import func, select

    table = _table()
    query = select(func.coalesce(func.sum(table.c.epsilon), 0.0)).where(
        (table.c.dataset == dataset) & (table.c.status == "spent")
    )
    return float(connection.execute(query).scalar_one())


def _record(
    connection: Any, dataset: str, operations: Sequence[Operation], who: str, status: str
) -> None:
    now = datetime.now(UTC)
    rows = [
        {
            "time": now,
            "dataset": dataset,
            "operation": op.operation,
            "mechanism": op.mechanism,
            "epsilon": float(op.epsilon),
            "delta": float(op.delta),
            "sensitivity": None if op.sensitivity is None else float(op.sensitivity),
            "who": who,
            "status": status,
        }
        for op in operations
    ]
    if rows:
        connection.execute(_table().insert(), rows)
