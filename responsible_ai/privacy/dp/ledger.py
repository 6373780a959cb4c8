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

import contextlib
import getpass
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from responsible_ai.errors import InputError, RAIError
from responsible_ai.privacy.dp.ledger_db import (
    LEDGER_ENV,
    cap_of,
    connect,
    record,
    specs,
    spent_on,
    tables,
)

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

HOME_ENV = "RAI_HOME"
USER_ENV = "RAI_USER"
#: Largest epsilon of one operation, and largest cap of a dataset: beyond these, differential
#: privacy promises nothing a person would recognise, so such a value is a mistake.
MAX_EPSILON = 10.0
MAX_CAP = 100.0
LEDGER_BROKEN = (
    "the budget ledger {ledger} fails verification ({problem}), so what was spent cannot be "
    "known: nothing was released; run rai budget verify and restore the ledger from a good copy"
)
RESERVED_NAMES = ("set", "verify", "upgrade")
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
    "'set', 'verify' or 'upgrade' (they are rai budget commands)"
)
RAISE_NEEDS_FLAG = (
    "dataset {dataset!r} already has the cap {cap:g}; raising it to {new:g} needs --raise "
    "(the raise is recorded in the ledger with who asked)"
)
CANNOT_WRITE = (
    "cannot write to the budget ledger {ledger}: {reason}; nothing was recorded (check that the "
    "database user may insert into and update the ledger's tables)"
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
            self._engine = connect(self.url, self._key, self.create)
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

        table = tables()["dp_budget_ledger"]
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

        table = tables()["dp_budget_caps"]
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
            return cap_of(connection, dataset)

    def spent(self, dataset: str) -> float:
        """Total epsilon spent on ``dataset`` (refused operations cost nothing)."""
        with self.engine.connect() as connection:
            return spent_on(connection, dataset)

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
        from responsible_ai.store.head import refuse_unfit

        cap = float(cap)
        who = who or current_user()
        with self._writing() as connection:
            state = self._state(connection)
            previous = cap_of(connection, dataset)
            if previous is not None and abs(previous - cap) <= _TOLERANCE:
                return previous, previous
            if previous is not None and cap > previous and not allow_raise:
                raise InputError(RAISE_NEEDS_FLAG.format(dataset=dataset, cap=previous, new=cap))
            change = "register" if previous is None else ("raise" if cap > previous else "lower")
            registration = state.next(
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
            refuse_unfit(tables()["dp_budget_caps"], registration, "budget ledger")
            connection.execute(tables()["dp_budget_caps"].insert(), [registration])
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
        with self._writing() as connection:
            # The head lock before any read: a racing charge waits here, then reads what the
            # winner spent (SQLite: BEGIN IMMEDIATE; PostgreSQL: FOR UPDATE, READ COMMITTED).
            state = self._state(connection)
            # A ledger whose records were edited cannot say what was spent: fail closed.
            check = self._verify(connection)
            if not check.ok:
                raise InputError(LEDGER_BROKEN.format(ledger=self.location, problem=check.problem))
            cap = cap_of(connection, dataset)
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
            spent = spent_on(connection, dataset)
            limit = cap if budget is None or reason else min(cap, float(budget))
            needed = 0.0 if reason else float(sum(op.epsilon for op in operations))
            allowed = reason is None and spent + needed <= limit + _TOLERANCE
            over = ""
            if reason is None and not allowed:
                over = REFUSED_OVER_BUDGET.format(needed=needed, spent=spent, budget=limit)
            record(
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
        with self.engine.connect() as connection:
            return self._verify(connection, expect_head)

    def _verify(self, connection: Connection, expect_head: str | None = None) -> ChainCheck:
        from sqlalchemy import select

        from responsible_ai.store.chain import verify_chains
        from responsible_ai.store.head import read_head

        chained = tables()
        head = read_head(connection, chained["dp_ledger_head"])
        chains = []
        for name, spec in specs().items():
            query = select(chained[name]).order_by(chained[name].c.seq)
            chains.append((spec, [dict(row) for row in connection.execute(query).mappings()]))
        return verify_chains(self._key, head, chains, WHAT, expect_head)

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Connection]:
        """One write transaction; a database that refuses it (a role that may only read, a
        lost connection) is one line, exit 2, with nothing recorded."""
        from sqlalchemy.exc import DBAPIError

        from responsible_ai.store.secrets import scrub

        try:
            with self.engine.begin() as connection:
                yield connection
        except DBAPIError as exc:
            reason = scrub(str(exc.orig), self.url)
            raise InputError(CANNOT_WRITE.format(ledger=self.location, reason=reason)) from None

    def _state(self, connection: Connection) -> Any:
        from responsible_ai.store.head import writer_state

        return writer_state(
            connection,
            tables()["dp_ledger_head"],
            self._key,
            WHAT,
            self.location,
            "rai budget verify",
        )

    def _seal(self, connection: Connection, state: Any) -> None:
        from responsible_ai.store.head import save_state

        save_state(connection, tables()["dp_ledger_head"], self._key, state)


def _budget_problem(dataset: str, cap: float, budget: float | None) -> str | None:
    if budget is None:
        return None
    if not _in_range(budget, MAX_CAP):
        return BAD_POLICY_BUDGET.format(maximum=MAX_CAP, value=budget)
    if float(budget) > cap + _TOLERANCE:
        return POLICY_ABOVE_CAP.format(asked=float(budget), cap=cap, dataset=dataset)
    return None
