"""Write a new state of the embedded store in a child process: ``python ropa/backends/builder.py DIR PID``.

Why a child process: LadybugDB (0.22) ends the whole process (``std::terminate`` from its close) when
a write failed on a full disk and the database is then closed, so the writer could neither clean up
nor say what happened. The importing process prepares the statements and their Arrow tables
(:class:`PlanRecorder`, Parquet files under ``DIR/load/``), and this child runs them against ``DIR/data.lbdb``,
checkpoints and closes it. Whatever happens to the child, the importing process keeps its state, throws
the new state away and reports the cause; the child dies with its parent (``PR_SET_PDEATHSIG``).

Protocol: the plan is ``DIR/load/plan.json`` (a list of ``{"query", "table"}``, ``table`` the name of the
Parquet file beside it that the query copies from, or null); the child prints ``step N`` after each statement and ``done`` at the
end on standard output, and a failure's message on standard error (exit 3).
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


def _die_with_parent(parent: int) -> None:
    """Linux: be killed when the importing process dies (SIGKILL or otherwise), not write on alone."""
    try:
        import ctypes
        import signal
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(4)


def build(directory: Path) -> None:
    import ladybug as lb
    load = directory / "load"
    steps = json.loads((load / PLAN).read_text(encoding="utf-8"))
    db = lb.Database(str(directory / "data.lbdb"))
    os.chdir(load)  # the plan names its Parquet files relative to it
    conn = lb.Connection(db)
    print("opened", flush=True)
    conn.execute("BEGIN TRANSACTION")  # one commit, not one per statement (each syncs the WAL)
    began = True
    for i, step in enumerate(steps):
        conn.execute(step["query"])
        print(f"step {i + 1}", flush=True)
    if began:
        print("commit", flush=True)
        conn.execute("COMMIT")
    print("checkpoint", flush=True)
    conn.execute("CHECKPOINT")  # fails here, as a Python error, rather than inside close
    conn.close()
    db.close()
    print("done", flush=True)


def main(argv: list[str]) -> int:
    directory, parent = Path(argv[0]), int(argv[1])
    _die_with_parent(parent)
    try:
        build(directory)
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises the typed error
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        os._exit(3)  # not through LadybugDB's destructors: they may end the process on a full disk
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
