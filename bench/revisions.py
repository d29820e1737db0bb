"""Cost of keeping revisions: a commit (diff + journal + write) against a plain replace, on a generated
RoPA of N relationships; one mechanism edit on it; the journal's size. Prints figures and ratios.

    .venv/bin/python bench/revisions.py 10000
"""
from __future__ import annotations

import io
import sys
import tempfile
import time
from pathlib import Path

from ropa import edits, revisions
from ropa.backends.embedded import EmbeddedBackend
from ropa.formats.register import read_register
from ropa.generate import generate


def main(n: int) -> None:
    buf = io.StringIO()
    generate(buf, n)
    graph = read_register(io.BytesIO(buf.getvalue().encode()), "generated.csv")
    with tempfile.TemporaryDirectory() as d:
        with EmbeddedBackend(Path(d) / "plain.lbdb") as s:
            t = time.perf_counter()
            s.replace(graph)
            plain = time.perf_counter() - t
        with EmbeddedBackend(Path(d) / "rev.lbdb") as s:
            t = time.perf_counter()
            revisions.commit(s, graph, author="bench", reason="import", kind="import")
            first = time.perf_counter() - t
            g = s.export()
            key = edits.hops(g)[0][0]
            t = time.perf_counter()
            edited = edits.set_hop(g, key, {"mechanism": "scc_2021", "mechanism_date": "2023-01-10", "tia": "yes"})
            edit_s = time.perf_counter() - t
            t = time.perf_counter()
            revisions.commit(s, edited, author="bench", reason="edit", before=g)
            second = time.perf_counter() - t
            journal = sum(len(r["change"] or "") for r in s.revisions())
            t = time.perf_counter()
            revisions.revert(s, 2, author="bench", reason="revert")
            rev_s = time.perf_counter() - t
    print(f"{n} relationships: plain replace {plain:.2f} s; import as revision {first:.2f} s "
          f"(x{first / plain:.2f}); one mechanism edit: build {edit_s:.2f} s, commit {second:.2f} s "
          f"(x{second / plain:.2f} of a replace); revert {rev_s:.2f} s; journal {journal / 1e6:.1f} MB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
