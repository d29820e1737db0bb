"""Write a new state of the embedded store in a child process (``ropa/backends/__main__.py DIR PID``).

Why a child process: LadybugDB (0.22) ends the whole process (``std::terminate`` from its close) when
a write failed on a full disk and the database is then closed, so the writer could neither clean up
nor say what happened. The importing process prepares the statements and their Arrow tables
(:class:`PlanRecorder`, Parquet files under ``DIR/load/``), and this child runs them against ``DIR/data.lbdb``,
checkpoints and closes it. Whatever happens to the child, the importing process keeps its state, throws
the new state away and reports the cause; the child dies with its parent (``PR_SET_PDEATHSIG``).

Protocol: the plan is ``DIR/load/plan.json`` (a list of ``{"query", "table"}``, ``table`` the name of the
Parquet file beside it that the query copies from, or null); the child prints ``step N`` after each
statement, ``checkpoint`` and ``done`` on standard output, and a failure's message on standard
error (exit 3). This module imports nothing of the ropa package, so the child starts quickly.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

PLAN = "plan.json"


class _NoRows:
    def has_next(self) -> bool:
        return False


class PlanRecorder:
    """Stands in for a LadybugDB connection while a write is prepared: records each statement, and the
    Arrow table of a ``COPY ... FROM $rows`` as an IPC file, for the child to run."""

    def __init__(self, directory: Path):
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.steps: list[dict] = []

    def execute(self, query: str, params: dict | None = None):
        import pyarrow.parquet as pq
        table = None
        rows = (params or {}).get("rows")
        if rows is not None:
            # a Parquet file LadybugDB reads itself: a Python object as $rows would make it import pandas
            # in the child (two seconds); the name is ours, so it can be written into the query
            table = f"t{len(self.steps):03d}.parquet"
            pq.write_table(rows, str(self.directory / table), compression="none")
            query = query.replace("$rows", f"'{table}'")
        self.steps.append({"query": query, "table": table})
        return _NoRows()

    def finish(self) -> None:
        (self.directory / PLAN).write_text(json.dumps(self.steps), encoding="utf-8")


def die_with_parent(parent: int) -> bool:
    """Linux: be killed when the importing process dies (SIGKILL or otherwise), not write on alone.
    False when the parent is gone already."""
    try:
        import ctypes
        import signal
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    return os.getppid() == parent  # else the parent died before prctl took effect


def build(directory: Path, say) -> None:
    """Run the plan in ``directory/load`` into ``directory/data.lbdb``, checkpoint and close; ``say(line)``
    reports each step.

    Each statement commits on its own. The new state is a fresh file that nobody reads before it is
    whole, closed and published (:mod:`ropa.backends.statedir`), so a failure or a kill half-way throws
    the whole file away either way: one transaction around the plan added nothing to that. And it cost
    a lot: a COPY inside an explicit transaction goes through the WAL and the commit then writes it all
    again (at a million relationships 6.6 s CPU for the commit alone, and 14.2 s against 8.8 s for the
    whole plan; at 100k no difference)."""
    import ladybug as lb
    load = directory / "load"
    steps = json.loads((load / PLAN).read_text(encoding="utf-8"))
    db = lb.Database(str(directory / "data.lbdb"))
    os.chdir(load)  # the plan names its Parquet files relative to it
    conn = lb.Connection(db)
    say("opened")
    for i, step in enumerate(steps):
        conn.execute(step["query"])
        say(f"step {i + 1}")
    say("checkpoint")
    conn.execute("CHECKPOINT")  # fails here, as a Python error, rather than inside close
    conn.close()
    db.close()
    say("done")
