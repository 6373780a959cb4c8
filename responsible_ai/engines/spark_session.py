"""The Spark session of a run: a notebook's active one, else one started quietly for the run.

A session started here sends the JVM's own output (its start-up lines, log4j, progress bars) to a
temporary file instead of the terminal: ``rai check`` prints the report and nothing else, and a
JVM that fails to start is reported in one line with the last thing it said. A standalone master
(``spark://host:port``) is reached over TCP first, so a dead master fails in seconds instead of
after Spark's own minute of registration retries.
"""

from __future__ import annotations

import os
import socket
import tempfile
import warnings
from typing import IO, Any
from urllib.parse import urlsplit

from responsible_ai.errors import InputError

__all__ = ["DEFAULT_MASTER", "MASTER_ENV", "spark_session"]

MASTER_ENV = "RAI_SPARK_MASTER"
DEFAULT_MASTER = "local[2]"
#: Seconds to wait for a standalone master to accept a connection.
CONNECT_SECONDS = 3.0

NOT_INSTALLED = "the spark engine needs PySpark and Java 17: pip install 'responsible-ai[spark]'"
CANNOT_START = "cannot start Spark ({master}): {reason}"
UNREACHABLE = (
    "cannot reach the Spark master {master}: {reason}; start it, or name a running one with "
    "--spark-master URL (or $" + MASTER_ENV + ")"
)
BAD_MASTER = "{master!r} is not a Spark master URL: use local[N], spark://host:port, yarn or k8s://"

# The JVM's stdout and stderr of the session this process started (read when it fails).
_jvm_output: IO[bytes] | None = None


def spark_session(master: str | None) -> tuple[Any, bool]:
    """The active session (a notebook's), else a new one; and whether it was started here.

    Raises
    ------
    InputError
        PySpark or Java missing, a master that does not answer, or a JVM that does not start.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise InputError(NOT_INSTALLED) from None
    from pyspark import SparkContext

    active = SparkSession.getActiveSession()
    if active is not None:  # a notebook's session: used as it is, never stopped here
        return active, False
    if SparkContext._active_spark_context is not None:
        return SparkSession(SparkContext._active_spark_context), False
    master = master or os.environ.get(MASTER_ENV) or DEFAULT_MASTER
    if master.startswith("spark://"):
        reach_master(master)
    conf = _conf(master)
    try:
        with warnings.catch_warnings():  # PySpark's notice about pandas 3: not the user's
            warnings.simplefilter("ignore", FutureWarning)
            return SparkSession(_context(conf)), True
    except InputError:
        raise
    except Exception as exc:  # no Java, a bad master URL: one line
        raise InputError(CANNOT_START.format(master=master, reason=_reason(exc))) from None


def reach_master(master: str) -> None:
    """Refuse a standalone master (``spark://h1:p1[,h2:p2]``) none of whose hosts answers."""
    hosts = master.removeprefix("spark://").split(",")
    reasons = []
    for host in hosts:
        parts = urlsplit("spark://" + host)
        try:
            port = parts.port or 7077
        except ValueError:
            raise InputError(BAD_MASTER.format(master=master)) from None
        if not parts.hostname:
            raise InputError(BAD_MASTER.format(master=master))
        try:
            with socket.create_connection((parts.hostname, port), timeout=CONNECT_SECONDS):
                return
        except OSError as exc:
            reasons.append(exc.strerror or type(exc).__name__)
    raise InputError(UNREACHABLE.format(master=master, reason=reasons[-1].lower()))


def _conf(master: str) -> Any:
    from pyspark import SparkConf

    conf = (
        SparkConf()
        .setMaster(master)
        .setAppName("responsible-ai")
        .set("spark.ui.enabled", "false")
        .set("spark.ui.showConsoleProgress", "false")
        .set("spark.sql.shuffle.partitions", "8")
        .set("spark.log.level", "ERROR")  # Spark's INFO and WARN lines are not for the user
    )
    if master.startswith("local"):  # a local session listens on loopback only
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        conf = conf.set("spark.driver.host", "127.0.0.1").set(
            "spark.driver.bindAddress", "127.0.0.1"
        )
    return conf


def _context(conf: Any) -> Any:
    """A SparkContext whose JVM (started here unless one runs) writes to a temporary file."""
    global _jvm_output
    from pyspark import SparkContext

    if SparkContext._gateway is not None:  # this process already has a JVM: use it
        return SparkContext(conf=conf)
    from pyspark.java_gateway import launch_gateway

    # Kept open for the life of the JVM (which shares it); deleted once both sides close it.
    _jvm_output = tempfile.TemporaryFile(prefix="rai-spark-")  # noqa: SIM115
    gateway = launch_gateway(conf, popen_kwargs={"stdout": _jvm_output, "stderr": _jvm_output})
    return SparkContext(conf=conf, gateway=gateway)


def _reason(exc: BaseException) -> str:
    """The first line of ``exc``, with the JVM's last line when it said anything."""
    text = str(exc).strip()
    reason = text.splitlines()[0][:300] if text else type(exc).__name__
    said = last_jvm_line()
    return f"{reason} (Java said: {said})" if said else reason


def last_jvm_line() -> str:
    """The last non-empty line the JVM of this process wrote (its log is not shown)."""
    if _jvm_output is None:
        return ""
    _jvm_output.flush()
    _jvm_output.seek(0, os.SEEK_END)
    size = _jvm_output.tell()
    _jvm_output.seek(max(0, size - 4096))
    lines = [line.strip() for line in _jvm_output.read().decode(errors="replace").splitlines()]
    _jvm_output.seek(0, os.SEEK_END)
    said = [line for line in lines if line]
    return said[-1][:300] if said else ""
