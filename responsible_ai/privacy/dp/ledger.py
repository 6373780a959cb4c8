"""The privacy budget ledger: every DP operation on a dataset, and the cap that none may exceed.

The cap belongs to the dataset, not to a policy: a data steward registers a dataset and its cap
once (``rai budget set DATASET --cap EPS``); a policy's ``privacy.epsilon_budget`` may ask for less,
never more. The ledger is a database reached through SQLAlchemy (a SQLite file by default). A
charge reads the cap and what the dataset has spent and records the new operations in one write
transaction, so two processes that race cannot both see the same remaining budget.

Cap registrations and operations (refusals included) are records of two hash chains sealed by a
head row, keyed with the store key (``RAI_STORE_KEY``) when one is set at creation; see
:mod:`responsible_ai.store.chain`. ``rai budget verify`` checks them.
"""

from __future__ import annotations

import getpass
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from responsible_ai.errors import InputError, RAIError

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy.engine import Connection, Engine

    from responsible_ai.store.chain import ChainCheck

__all__ = [
    "BUDGET_EXCEEDED",
    "LEDGER_COLUMNS",
    "MAX_CAP",
    "MAX_EPSILON",
    "NOT_REGISTERED",
    "NO_BUDGET",
    "NO_DATASET",
    "POLICY_ABOVE_CAP",
    "BudgetExceededError",
    "BudgetLedger",
    "Operation",
    "current_user",
    "default_ledger_url",
]

LEDGER_ENV = "RAI_LEDGER_URL"
HOME_ENV = "RAI_HOME"
USER_ENV = "RAI_USER"
#: Largest epsilon of one operation, and largest cap of a dataset: beyond these, differential
#: privacy promises nothing a person would recognise, so such a value is a mistake.
MAX_EPSILON = 10.0
MAX_CAP = 100.0
RESERVED_NAMES = ("set", "verify")
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
    "reason",
)
CAP_COLUMNS = ("time", "dataset", "cap", "previous_cap", "change", "who")
BUDGET_EXCEEDED = (
    "privacy budget exceeded for dataset {dataset!r}: this release needs epsilon {needed:g}, "
    "but {spent:g} of the budget {budget:g} is spent and only {remaining:g} remains; nothing "
    "was released (ask for less epsilon; only a data steward can raise the dataset's cap)"
)
NOT_REGISTERED = (
    "dataset {dataset!r} has no privacy budget in the ledger {ledger}: a data steward registers "
    "it once with its cap: rai budget set {dataset} --cap EPS"
)
#: Kept for callers of the former API: a charge without a registered cap.
NO_BUDGET = NOT_REGISTERED
NO_DATASET = (
    "name the dataset the release spends its privacy budget on: --dataset NAME or "
    "release.dataset in the policy (registered once with: rai budget set NAME --cap EPS)"
)
POLICY_ABOVE_CAP = (
    "the policy asks for privacy.epsilon_budget {asked:g}, above the cap {cap:g} registered for "
    "dataset {dataset!r}; nothing was spent and the refusal is recorded (a policy may ask for "
    "less than the cap, never more: lower privacy.epsilon_budget or remove it)"
)
BAD_EPSILON = (
    "The 'epsilon' of operation {operation!r} must be a float in the range (0, {maximum:g}]. "
    "Got {value!r} instead."
)
BAD_POLICY_BUDGET = (
    "The 'privacy.epsilon_budget' of the policy must be a float in the range (0, {maximum:g}]. "
    "Got {value!r} instead."
)
BAD_CAP = (
    "The cap of dataset {dataset!r} must be a float in the range (0, {maximum:g}]. "
    "Got {value!r} instead."
)
BAD_DATASET = (
    "dataset name {dataset!r} cannot be used: give 1 to 200 printable characters, and not "
    "'set' or 'verify' (they are rai budget commands)"
)
RAISE_NEEDS_FLAG = (
    "dataset {dataset!r} already has the cap {cap:g}; raising it to {new:g} needs --raise "
    "(the raise is recorded in the ledger with who asked)"
)
REFUSED_OVER_BUDGET = "over budget: needs {needed:g}, {spent:g} of {budget:g} spent"
# Budgets are compared with a small tolerance so that, e.g., ten charges of 0.1 fit a budget of 1.
_TOLERANCE = 1e-9
WHAT = "ledger"


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
        Privacy loss of the operation, in (0, :data:`MAX_EPSILON`].
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


def _in_range(value: Any, maximum: float) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0 < value <= maximum
    )


def _as_url(location: str, create: bool) -> str:
    if "://" in location:
        return location
    path = Path(location).expanduser()
    if create:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(
                f"cannot create the folder of the budget ledger {path}: {exc.strerror}; set "
                f"privacy.ledger or {LEDGER_ENV} to a writable SQLite path or SQLAlchemy URL"
            ) from None
    return f"sqlite:///{path}"


class BudgetLedger:
    """A persistent record of the privacy budget of each dataset: its cap and what was spent.

    Parameters
    ----------
    url : str, optional
        A SQLite file path or an SQLAlchemy URL. None: env ``RAI_LEDGER_URL``, else
        ``$RAI_HOME/ledger.sqlite`` (``RAI_HOME`` defaults to ``~/.responsible-ai``).
    create : bool, default True
        Create the ledger if it does not exist; False (``rai budget verify``) refuses instead.

    Examples
    --------
    >>> import tempfile, os
    >>> ledger = BudgetLedger(os.path.join(tempfile.mkdtemp(), "ledger.sqlite"))
    >>> ledger.register("adult", 1.0, who="steward")
    (None, 1.0)
    >>> _ = ledger.charge("adult", [Operation("count()", "Geometric", 0.5)], who="ann")
    >>> ledger.spent("adult"), ledger.remaining("adult")
    (0.5, 0.5)
    """

    def __init__(self, url: str | None = None, *, create: bool = True) -> None:
        self.url = _as_url(url or default_ledger_url(), create)
        self.create = create
        self._engine: Engine | None = None
        self._key: bytes | None = None

    def __repr__(self) -> str:
        return f"BudgetLedger({self.location!r})"

    @property
    def location(self) -> str:
        """The URL with any password hidden: safe to print and log."""
        from responsible_ai.store.secrets import mask_url

        return mask_url(self.url)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from responsible_ai.store.secrets import load_store_key

            self._key = load_store_key()
            self._engine = _connect(self.url, self._key, self.create)
        return self._engine

    # -- reading ---------------------------------------------------------------------------

    def entries(self, dataset: str | None = None) -> pd.DataFrame:
        """Every recorded operation, oldest first, optionally of one dataset.

        Returns
        -------
        DataFrame
            Columns ``time, dataset, operation, mechanism, epsilon, delta, sensitivity, who,
            status, reason``; ``status`` is ``spent`` or ``refused`` (nothing released), and
            ``reason`` says why a refusal was refused.
        """
        import pandas as pd
        from sqlalchemy import select

        table = _tables()["dp_budget_ledger"]
        query = select(*[table.c[name] for name in LEDGER_COLUMNS]).order_by(table.c.seq)
        if dataset is not None:
            query = query.where(table.c.dataset == dataset)
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        frame = pd.DataFrame([tuple(row) for row in rows], columns=list(LEDGER_COLUMNS))
        frame["time"] = pd.to_datetime(frame["time"], utc=True)
        for column in ("epsilon", "delta", "sensitivity"):
            frame[column] = frame[column].astype(float)
        return frame

    def caps(self, dataset: str | None = None) -> pd.DataFrame:
        """Every cap registration and change, oldest first (``change``: register/lower/raise)."""
        import pandas as pd
        from sqlalchemy import select

        table = _tables()["dp_budget_caps"]
        query = select(*[table.c[name] for name in CAP_COLUMNS]).order_by(table.c.seq)
        if dataset is not None:
            query = query.where(table.c.dataset == dataset)
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        frame = pd.DataFrame([tuple(row) for row in rows], columns=list(CAP_COLUMNS))
        frame["time"] = pd.to_datetime(frame["time"], utc=True)
        return frame

    def cap(self, dataset: str) -> float | None:
        """The cap registered for ``dataset``, or None if it is not registered."""
        with self.engine.connect() as connection:
            return _cap(connection, dataset)

    def spent(self, dataset: str) -> float:
        """Total epsilon spent on ``dataset`` (refused operations cost nothing)."""
        with self.engine.connect() as connection:
            return _spent(connection, dataset)

    def limit(self, dataset: str, budget: float | None = None) -> float:
        """What a release may spend in total on ``dataset``: the cap, or a policy's lower budget.

        Raises
        ------
        InputError
            The dataset is not registered, or ``budget`` is invalid or above the cap.
        """
        cap = self.cap(dataset)
        if cap is None:
            raise InputError(NOT_REGISTERED.format(dataset=dataset, ledger=self.location))
        reason = _budget_problem(dataset, cap, budget)
        if reason:
            raise InputError(reason)
        return cap if budget is None else min(cap, float(budget))

    def remaining(self, dataset: str, budget: float | None = None) -> float:
        """What is left of the dataset's cap (or of a policy's lower ``budget``); never below 0."""
        return max(0.0, self.limit(dataset, budget) - self.spent(dataset))

    # -- writing ---------------------------------------------------------------------------

    def register(
        self, dataset: str, cap: float, who: str | None = None, *, allow_raise: bool = False
    ) -> tuple[float | None, float]:
        """Register ``dataset`` with its ``cap``, or change the cap; returns (previous, new).

        Lowering is always allowed; raising needs ``allow_raise=True``. Every registration and
        change is a record of the ledger's chain with who asked. Asking for the current cap
        records nothing.

        Raises
        ------
        InputError
            Bad name or cap, or a raise without ``allow_raise``.
        """
        if not isinstance(dataset, str) or not 0 < len(dataset) <= 200:
            raise InputError(BAD_DATASET.format(dataset=dataset))
        if not dataset.isprintable() or dataset.strip() in RESERVED_NAMES:
            raise InputError(BAD_DATASET.format(dataset=dataset))
        if not _in_range(cap, MAX_CAP):
            raise InputError(BAD_CAP.format(dataset=dataset, maximum=MAX_CAP, value=cap))
        cap = float(cap)
        who = who or current_user()
        with self.engine.begin() as connection:
            previous = _cap(connection, dataset)
            if previous is not None and abs(previous - cap) <= _TOLERANCE:
                return previous, previous
            if previous is not None and cap > previous and not allow_raise:
                raise InputError(RAISE_NEEDS_FLAG.format(dataset=dataset, cap=previous, new=cap))
            change = "register" if previous is None else ("raise" if cap > previous else "lower")
            state = self._state(connection)
            record = state.next(
                self._key,
                "dp_budget_caps",
                {
                    "time": datetime.now(UTC),
                    "dataset": dataset,
                    "cap": cap,
                    "previous_cap": previous,
                    "change": change,
                    "who": who,
                },
            )
            connection.execute(_tables()["dp_budget_caps"].insert(), [record])
            self._seal(connection, state)
        return previous, cap

    def charge(
        self,
        dataset: str,
        operations: Sequence[Operation],
        budget: float | None = None,
        who: str | None = None,
    ) -> float:
        """Spend the epsilon of ``operations`` on ``dataset``, all of them or none.

        Call this *before* drawing any noise. Within one write transaction it reads the
        dataset's cap and what it has spent and records every operation as ``spent``, or, if the
        total would exceed the cap (or the policy's lower ``budget``), or an epsilon or the
        ``budget`` is not allowed, records them as ``refused`` with the reason and raises.

        Returns
        -------
        float
            The epsilon remaining after the charge.

        Raises
        ------
        BudgetExceededError
            The operations together need more than what remains; nothing is spent.
        InputError
            The dataset is not registered (nothing recorded); an epsilon is not in
            (0, :data:`MAX_EPSILON`]; ``budget`` is invalid or above the cap (recorded refused).
        """
        who = who or current_user()
        with self.engine.begin() as connection:
            cap = _cap(connection, dataset)
            if cap is None:
                raise InputError(NOT_REGISTERED.format(dataset=dataset, ledger=self.location))
            reason = next(
                (
                    BAD_EPSILON.format(
                        operation=op.operation, maximum=MAX_EPSILON, value=op.epsilon
                    )
                    for op in operations
                    if not _in_range(op.epsilon, MAX_EPSILON)
                ),
                None,
            ) or _budget_problem(dataset, cap, budget)
            spent = _spent(connection, dataset)
            limit = cap if budget is None or reason else min(cap, float(budget))
            needed = 0.0 if reason else float(sum(op.epsilon for op in operations))
            allowed = reason is None and spent + needed <= limit + _TOLERANCE
            over = ""
            if reason is None and not allowed:
                over = REFUSED_OVER_BUDGET.format(needed=needed, spent=spent, budget=limit)
            state = self._state(connection)
            _record(
                connection,
                state,
                self._key,
                dataset,
                operations,
                who,
                "spent" if allowed else "refused",
                "" if allowed else (reason or over),
            )
            self._seal(connection, state)
        if reason:
            raise InputError(reason)
        if not allowed:
            raise BudgetExceededError(dataset, needed, spent, limit)
        return max(0.0, limit - spent - needed)

    # -- verification ----------------------------------------------------------------------

    def verify(self, expect_head: str | None = None) -> ChainCheck:
        """Check the chains of cap registrations and operations and the sealed head."""
        from sqlalchemy import select

        from responsible_ai.store.chain import verify_chains
        from responsible_ai.store.head import read_head

        tables = _tables()
        with self.engine.connect() as connection:
            head = read_head(connection, tables["dp_ledger_head"])
            chains = []
            for name, spec in _specs().items():
                query = select(tables[name]).order_by(tables[name].c.seq)
                chains.append((spec, [dict(row) for row in connection.execute(query).mappings()]))
        return verify_chains(self._key, head, chains, WHAT, expect_head)

    def _state(self, connection: Connection) -> Any:
        from responsible_ai.store.head import writer_state

        return writer_state(
            connection,
            _tables()["dp_ledger_head"],
            self._key,
            WHAT,
            self.location,
            "rai budget verify",
        )

    def _seal(self, connection: Connection, state: Any) -> None:
        from responsible_ai.store.head import save_state

        save_state(connection, _tables()["dp_ledger_head"], self._key, state)


def _budget_problem(dataset: str, cap: float, budget: float | None) -> str | None:
    if budget is None:
        return None
    if not _in_range(budget, MAX_CAP):
        return BAD_POLICY_BUDGET.format(maximum=MAX_CAP, value=budget)
    if float(budget) > cap + _TOLERANCE:
        return POLICY_ABOVE_CAP.format(asked=float(budget), cap=cap, dataset=dataset)
    return None


_TABLES: dict[str, Any] = {}


def _tables() -> dict[str, Any]:
    from sqlalchemy import Column, DateTime, Float, Integer, MetaData, String, Table, Text

    from responsible_ai.store.head import head_table

    if not _TABLES:
        metadata = MetaData()

        def chained(name: str, *columns: Column[Any]) -> Table:
            return Table(
                name,
                metadata,
                Column("id", Integer, primary_key=True, autoincrement=False),
                Column("seq", Integer, nullable=False, unique=True),
                Column("time", DateTime(timezone=True), nullable=False),
                Column("dataset", String(200), nullable=False, index=True),
                *columns,
                Column("who", String(200), nullable=False),
                Column("prev_hash", String(64), nullable=False),
                Column("hash", String(64), nullable=False),
            )

        _TABLES["dp_budget_caps"] = chained(
            "dp_budget_caps",
            Column("cap", Float, nullable=False),
            Column("previous_cap", Float, nullable=True),
            Column("change", String(20), nullable=False),
        )
        _TABLES["dp_budget_ledger"] = chained(
            "dp_budget_ledger",
            Column("operation", String(500), nullable=False),
            Column("mechanism", String(100), nullable=False),
            Column("epsilon", Float, nullable=False),
            Column("delta", Float, nullable=False),
            Column("sensitivity", Float, nullable=True),
            Column("status", String(20), nullable=False),
            Column("reason", Text, nullable=False),
        )
        _TABLES["dp_ledger_head"] = head_table("dp_ledger_head", metadata)
    return _TABLES


def _specs() -> dict[str, Any]:
    from responsible_ai.store.chain import TableSpec

    return {
        "dp_budget_caps": TableSpec(
            "dp_budget_caps",
            "budget registration",
            lambda r: (
                f"budget registration #{r['seq']} (dataset {r['dataset']!r}, "
                f"{r['change']} cap {r['cap']:g} by {r['who']})"
            ),
        ),
        "dp_budget_ledger": TableSpec(
            "dp_budget_ledger",
            "ledger operation",
            lambda r: (
                f"ledger operation #{r['seq']} (dataset {r['dataset']!r}, "
                f"{r['operation']}, {r['status']} epsilon {r['epsilon']:g} by {r['who']})"
            ),
        ),
    }


def _connect(url: str, key: bytes | None, create: bool) -> Engine:
    from sqlalchemy import create_engine, event

    from responsible_ai.store.head import (
        MISSING,
        create_head,
        missing_sqlite_file,
        refuse_legacy,
    )
    from responsible_ai.store.secrets import mask_url, scrub

    shown = mask_url(url)
    where = {"flag": "--ledger", "env": LEDGER_ENV}
    try:
        if not create and missing_sqlite_file(url):
            raise InputError(MISSING.format(what="budget ledger", url=shown, **where))
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
        tables = _tables()
        head = tables["dp_ledger_head"]
        with engine.begin() as connection:
            chained = ["dp_budget_caps", "dp_budget_ledger"]
            if not refuse_legacy(connection, head, chained, "budget ledger", shown):
                if not create:
                    raise InputError(MISSING.format(what="budget ledger", url=shown, **where))
                head.metadata.create_all(connection)
                create_head(connection, head, key)
    except RAIError:
        raise
    except Exception as exc:
        reason = scrub(f"{type(exc).__name__}: {getattr(exc, 'orig', None) or exc}", url)
        raise InputError(
            f"cannot open the budget ledger {shown}: {reason} "
            f"(set privacy.ledger or {LEDGER_ENV} to a writable SQLite path or SQLAlchemy URL)"
        ) from None
    return engine


def _cap(connection: Any, dataset: str) -> float | None:
    from sqlalchemy import select

    table = _tables()["dp_budget_caps"]
    query = (
        select(table.c.cap).where(table.c.dataset == dataset).order_by(table.c.seq.desc()).limit(1)
    )
    value = connection.execute(query).scalar()
    return None if value is None else float(value)


def _spent(connection: Any, dataset: str) -> float:
    from sqlalchemy import func, select

    table = _tables()["dp_budget_ledger"]
    query = select(func.coalesce(func.sum(table.c.epsilon), 0.0)).where(
        (table.c.dataset == dataset) & (table.c.status == "spent")
    )
    return float(connection.execute(query).scalar_one())


def _stored_float(value: Any) -> float:
    # A refused epsilon is kept as asked when it is a number a database can hold; the reason
    # column quotes it either way.
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return 0.0


def _record(
    connection: Any,
    state: Any,
    key: bytes | None,
    dataset: str,
    operations: Sequence[Operation],
    who: str,
    status: str,
    reason: str,
) -> None:
    now = datetime.now(UTC)
    rows = [
        state.next(
            key,
            "dp_budget_ledger",
            {
                "time": now,
                "dataset": dataset,
                "operation": op.operation,
                "mechanism": op.mechanism,
                "epsilon": _stored_float(op.epsilon),
                "delta": _stored_float(op.delta) if op.delta else 0.0,
                "sensitivity": None if op.sensitivity is None else _stored_float(op.sensitivity),
                "who": who,
                "status": status,
                "reason": reason,
            },
        )
        for op in operations
    ]
    if rows:
        connection.execute(_tables()["dp_budget_ledger"].insert(), rows)
