"""Cost of keeping revisions, on a generated RoPA of N relationships: a commit (diff + journal + write)
against a plain replace; then E mechanism edits in a row, each a revision: time per edit, the journal's
size and the store's size on disk after each (a state holds the whole RoPA and the whole journal; the
store keeps its last $ROPA_STORE_KEEP states); a revert. Prints figures and ratios.

    .venv/bin/python bench/revisions.py 10000 20
"""
from __future__ import annotations

import io
import os
import sys
import tempfile
import time
from pathlib import Path

from ropa import edits, revisions
from ropa.backends.embedded import EmbeddedBackend
from ropa.formats.register import read_register
from ropa.generate import generate


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main(n: int, n_edits: int) -> None:
    buf = io.StringIO()
    generate(buf, n)
    graph = read_register(io.BytesIO(buf.getvalue().encode()), "generated.csv")
    with tempfile.TemporaryDirectory() as d:
        with EmbeddedBackend(Path(d) / "plain.lbdb") as s:
            t = time.perf_counter()
            s.replace(graph)
            plain = time.perf_counter() - t
            plain_state = s._dir.data_path(s._state).stat().st_size
        path = Path(d) / "rev.lbdb"
        with EmbeddedBackend(path) as s:
            t = time.perf_counter()
            revisions.commit(s, graph, author="bench", reason="import", kind="import")
            first = time.perf_counter() - t
            after_import = (sum(len(r["change"] or "") for r in s.revisions()),
                            s._dir.data_path(s._state).stat().st_size, _size(path))
            hops = [k for k, _, rec in edits.hops(s.export()) if rec.get("mechanism") != "scc_2021"][:n_edits]
            times, sizes = [], []
            for i, key in enumerate(hops):
                g = s.export()
                t = time.perf_counter()
                edited = edits.set_hop(g, key, {"mechanism": "scc_2021", "mechanism_date": "2023-01-10", "tia": "yes"})
                revisions.commit(s, edited, author="bench", reason=f"edit {i + 1}", before=g)
                times.append(time.perf_counter() - t)
                sizes.append((sum(len(r["change"] or "") for r in s.revisions()),
                              s._dir.data_path(s._state).stat().st_size, _size(path)))
            t = time.perf_counter()
            revisions.revert(s, 2, author="bench", reason="revert")
            rev_s = time.perf_counter() - t
    mb = 1e6
    print(f"{n} relationships; a state without a journal: {plain_state / mb:.1f} MB; keep = "
          f"{os.environ.get('ROPA_STORE_KEEP', '5')} states")
    print(f"plain replace {plain:.2f} s; import as a revision {first:.2f} s (x{first / plain:.2f}); "
          f"journal {after_import[0] / mb:.2f} MB, state {after_import[1] / mb:.1f} MB "
          f"(x{after_import[1] / plain_state:.2f} of one without the journal), store {after_import[2] / mb:.1f} MB")
    if times:
        j, st, total = sizes[-1]
        print(f"{len(times)} mechanism edits: {sum(times) / len(times):.2f} s each (median {sorted(times)[len(times) // 2]:.2f} s, "
              f"x{sorted(times)[len(times) // 2] / plain:.2f} of a replace); journal +{(j - after_import[0]) / len(times) / 1e3:.1f} kB "
              f"an edit ({j / mb:.2f} MB after them); state {st / mb:.1f} MB (+{(st - after_import[1]) / mb:.2f} MB over "
              f"{len(times)} edits); store on disk {total / mb:.1f} MB")
    print(f"revert of the first edit (undoing {len(times)} revisions' changes): {rev_s:.2f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000, int(sys.argv[2]) if len(sys.argv) > 2 else 20)
