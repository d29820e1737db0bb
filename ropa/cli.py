"""The ``ropa`` command line: a thin layer over the library.

Every command translates library errors into one-line messages (exit 2);
``ropa check`` exits 1 when a finding reaches ``--fail-on``.

Why one module over 600 lines: the parser and the commands' translations stand together, so each
command is one short function next to its options; the work is in the library.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import sys
from pathlib import Path

from .errors import BackendError, FormatError, InputError, Problem, RopaError, problem_lines
from .files import input_file, output_path, read_input, write_atomically

EXIT_FINDINGS, EXIT_ERROR = 1, 2


def _date(text: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None
    from .reference import check_evaluation_date
    try:
        check_evaluation_date(day)
    except InputError as exc:
        raise argparse.ArgumentTypeError(exc.problems[0].message) from None
    return day


def _add_store_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--backend", choices=["embedded", "neo4j"], default="embedded",
                   help="graph store (default: embedded LadybugDB)")
    _add_store_path(p)


def _add_store_path(p: argparse.ArgumentParser) -> None:
    p.add_argument("--store", metavar="PATH", help="embedded store location (default: $ROPA_STORE or .ropa/ropa.lbdb)")


def open_store(args, *, read_only: bool = False, to_write: bool = False, upgrade: bool = False):
    """Open the backend the arguments ask for (``to_write``: an import, which may start a store afresh)."""
    from .backends.choice import choose_store
    choice = choose_store(backend=getattr(args, "backend", None) or "embedded", store=getattr(args, "store", None))
    if choice.kind == "embedded" and not to_write:
        _refuse_empty_store_file(choice.path)
    store = choice.open(read_only=read_only, upgrade=upgrade)
    for note in store.notices:  # e.g. an interrupted import found and rolled back
        print(f"note: {note}", file=sys.stderr)
    return store


def _store_path(args) -> Path:
    """The embedded store the arguments name (``--store``, else ``$ROPA_STORE``, else the default)."""
    from .backends.choice import choose_store
    return choose_store(backend="embedded", store=getattr(args, "store", None)).path


def _refuse_empty_store_file(path: Path) -> None:
    """A store file of 0 bytes is a damaged store (a copy cut short), not an empty RoPA to read as nothing."""
    if path.is_file() and path.stat().st_size == 0:
        raise BackendError(f"the store {path} is an empty file (0 bytes), not a store: it was damaged or cut "
                           "short; restore it from a backup, or move it away to start a new store")


def _read_inputs(files: list[str]):
    from .formats import read_path
    from .model import RopaGraph
    graph = RopaGraph.empty()
    for f in files:
        graph = graph.merge(read_path(f))
    return graph


def cmd_check(args) -> int:
    """Evaluate the rule pack and print the findings: the files given (in a scratch store), else the
    persistent store (embedded or Neo4j), else, when that store is empty, the bundled sample data."""
    from .findings import at_or_above, findings_frame
    from .rules import evaluate
    if args.backend == "neo4j" and args.files:
        # Neo4j holds a shared RoPA: check what it holds, never overwrite it with the files given.
        raise RopaError("ropa check FILE checks files in a scratch store; to check them on Neo4j, "
                        "import them first (ropa import FILE --backend neo4j), then run ropa check --backend neo4j")
    if args.backend == "neo4j" and args.sample:  # kept for the Neo4j smoke tests: load the sample, then check it
        from .samples import sample_graph
        with open_store(args) as store:
            store.replace(sample_graph())
    with _open_report_source(args) as src, _without_drafts(src.backend) as backend:
        _say_source(src, args)
        findings = evaluate(backend, args.as_of)
    if args.format == "json":
        write_findings_json(findings, sys.stdout)
    elif args.format == "csv":
        from .tables import write_csv
        buf = io.BytesIO()
        write_csv(findings_frame(findings), buf)
        sys.stdout.write(buf.getvalue().decode("utf-8-sig"))
    else:
        _print_table(findings, args.as_of)
    return EXIT_FINDINGS if args.fail_on and at_or_above(findings, args.fail_on) else 0


JSON_KEYS = ("rule", "severity", "subject", "path", "reason", "legal_source", "evidence", "controller",
             "activity", "exporter", "importer", "destination", "mechanism", "remediation", "source", "row")


def write_findings_json(findings, out, chunk: int = 50_000) -> None:
    """``ropa check --format json``: a list with one finding per line, compact (a million findings are 40%
    fewer bytes and half the time of indent=2, and a line per finding still reads and greps well).

    Written a column at a time: each distinct value of a column is encoded once by the JSON encoder (a
    rule's controllers, countries, reasons... repeat across its findings) and the lines are put together
    from those texts, ``chunk`` findings at a time. The bytes are those of one encoder call per finding
    (tests/test_check_json.py holds it to that)."""
    from json.encoder import encode_basestring as text  # what the encoder calls for a text (ensure_ascii=False)
    from operator import attrgetter
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    line = "{" + ",".join(encode(k).replace("%", "%%") + ":%s" for k in JSON_KEYS) + "}"
    seen: list[dict] = [{} for _ in JSON_KEYS]
    out.write("[")
    for start in range(0, len(findings), chunk):
        part = findings[start:start + chunk]
        columns = []
        for key, known in zip(JSON_KEYS, seen):
            values = list(map(attrgetter(key), part))
            if key == "path":
                values = list(map(tuple, values))  # a path (a list) is encoded as the list it is
            for v in set(values).difference(known):
                # the encoder's own steps for a text and an int, without its dispatch; else the encoder
                known[v] = text(v) if type(v) is str else int.__repr__(v) if type(v) is int else \
                    encode(list(v) if type(v) is tuple else v)
            columns.append(map(known.__getitem__, values))
        out.write(("\n" if start == 0 else ",\n") + ",\n".join(map(line.__mod__, zip(*columns))))
    out.write("\n]\n" if findings else "]\n")


def _say_source(src, args) -> None:
    """Tell the user (on stderr, so pipes stay clean) which RoPA a command read, and any warnings."""
    _print_warnings(src.warnings)
    if src.kind == "sample" and args.backend == "embedded":
        path = _store_path(args)
        if not path.exists():
            src.note = f"there is no store at {path}"
    if src.kind == "sample":
        print(f"note: {src.note}; reading the {src.label} instead. Import your register with "
              f"`ropa import FILE` (or pass FILE).", file=sys.stderr)
    else:
        print(f"reading {src.label}", file=sys.stderr)


def _print_table(findings, as_of) -> None:
    from collections import Counter
    if not findings:
        print(f"No findings as of {as_of}.")
        return
    for f in findings:
        subject = f.subject if not f.controller else f"{f.subject} ({f.controller})"
        print(f"{f.severity.upper():6} {f.title or f.rule} [{f.rule}]: {subject}")
        print(f"{'':6} {f.reason}")
    c = Counter(f.severity for f in findings)
    print(f"\n{len(findings)} findings as of {as_of}: "
          + ", ".join(f"{c[s]} {s}" for s in ("high", "medium", "low") if c[s]))


def _progress_printer(args):
    """Progress lines on standard error (``--progress``, or when it is a terminal); None otherwise."""
    if not (getattr(args, "progress", False) or sys.stderr.isatty()):
        return None

    def progress(fraction: float, what: str) -> None:
        print(f"progress: {what} ({fraction:.0%})", file=sys.stderr, flush=True)
    return progress


def cmd_import(args) -> int:
    """Import files into the persistent store (all files or nothing)."""
    progress = _progress_printer(args)
    if progress:
        progress(0.0, "reading " + ", ".join(Path(f).name for f in args.files))
    graph = _read_inputs(args.files)
    _print_warnings(graph.warnings)
    from . import revisions
    with open_store(args, to_write=True) as store:
        names = ", ".join(Path(f).name for f in args.files)
        origin = "import of " + names + " (merge)"
        before = store.export()
        merged = before.merge(graph)
        rev = revisions.commit(store, merged, author=args.author or revisions.default_author(),
                               reason=args.reason or f"import of {names}",
                               kind="draft" if args.needs_review else "import", progress=progress,
                               origin=origin, before=before, page="ropa import")
        print(f"Imported {len(args.files)} file(s) into {store.describe()} as revision {rev.number}: "
              f"{len(merged.nodes['Activity'])} activities, {len(merged.nodes['Organisation'])} organisations, "
              f"{len(merged.rels['DISCLOSES_TO']) + len(merged.rels['ENGAGES'])} recipient links.")
        if args.needs_review:
            waiting = revisions.drafts(revisions.history(store), merged)
            print(f"Marked as needing review: {len(waiting)} drafted record(s) stay out of the Art. 30 record and "
                  "the report until someone accepts them (the explorer's Record page).")
    return 0


def cmd_export(args) -> int:
    """Export the stored RoPA (or the sample) in a file format."""
    from .formats import write_file
    if args.sample:
        from .samples import sample_graph
        graph = sample_graph()
    else:
        with open_store(args) as store:
            graph = store.export()
    fmt = args.format
    if args.out != "-":
        output_path(args.out)  # before the store is read: a folder given as --out is said at once
    if fmt == "cypher":
        from .backends.neo4j_export import write_cypher
        writer = write_cypher
    else:
        def writer(g, fp):
            write_file(g, fp, fmt)
    if args.out == "-":
        buf = io.BytesIO()
        writer(graph, buf)
        sys.stdout.buffer.write(buf.getvalue())
    else:
        out = write_atomically(args.out, lambda fp: writer(graph, fp))
        print(f"Wrote {out}")
    return 0


def cmd_store(args) -> int:
    """Show the states the embedded store keeps, or make an earlier one current again."""
    from .backends.embedded import EmbeddedBackend
    path = _store_path(args)
    if args.action == "upgrade":
        return _store_upgrade(args)
    if args.action == "reset":
        return _store_reset(path)
    if args.action == "history":
        with EmbeddedBackend(path, read_only=True, upgrade=True) as store:  # any version: its states
            for note in store.notices:
                print(f"note: {note}", file=sys.stderr)
            states, rolled_back, keep = store.history(), store.rolled_back(), store.keep
        print(f"The store {path} keeps its last {keep} states ($ROPA_STORE_KEEP); * marks the current one.")
        print(f"  {'state':>5}  {'made':25}  {'activities':>10}  {'organisations':>13}  {'relationships':>13}  by")
        for s in states:
            c = s.counts
            print(f"{'*' if s.current else ' '} {s.number:>5}  {s.created or '?':25}  {c.get('activities', '?'):>10}  "
                  f"{c.get('organisations', '?'):>13}  {c.get('relationships', '?'):>13}  {s.what}")
        for r in rolled_back[-5:]:
            print(f"rolled back: the interrupted {r.get('what', 'write')} (started {r.get('started') or '?'}, "
                  f"found {r.get('time', '?')}); the store kept state {r.get('kept')}")
        return 0
    from . import revisions
    with EmbeddedBackend(path, upgrade=True) as store:  # restoring an earlier state is a way out, too
        for note in store.notices:
            print(f"note: {note}", file=sys.stderr)
        before = store.history()[-1].number
        rev, info = revisions.restore_state(store, args.number, author=args.author or revisions.default_author(),
                                            reason=args.reason or f"restore of state {args.number}")
    if rev is None:
        print(f"State {args.number} is the current state already; nothing changed.")
        return 0
    a, r, c = rev.counts()
    print(f"Restored state {args.number} as the new state {info.number}: {info.summary()}. Recorded as revision "
          f"{rev.number} by {rev.author} ({a} added, {r} removed, {c} changed); the revisions before it stay in "
          f"`ropa history`. To undo: ropa revert {rev.number} (or ropa store restore {before} --store {path})")
    return 0


def _store_upgrade(args) -> int:
    """``ropa store upgrade``: the one place a store is upgraded (an open never does it)."""
    from .schema import SCHEMA_VERSION
    with open_store(args, to_write=True, upgrade=True) as store:
        found = store.upgrade()
        where = store.describe()
    if found >= SCHEMA_VERSION:
        print(f"The store {where} is up to date (store schema {found}); nothing changed.")
        return 0
    undo = (f" The state before it stays: `ropa store history --store {_store_path(args)}` lists it."
            if args.backend == "embedded" else "")
    print(f"Upgraded the store {where} from store schema {found} to {SCHEMA_VERSION}.{undo}")
    return 0


def _store_reset(path: Path) -> int:
    """``ropa store reset``: an empty store, as a new state (the explorer does not fill it with the sample)."""
    from . import revisions
    from .backends.embedded import EmbeddedBackend
    from .model import RopaGraph
    if not path.exists():
        print(f"There is no store at {path}; nothing to reset.")
        return 0
    with EmbeddedBackend(path) as store:
        for note in store.notices:
            print(f"note: {note}", file=sys.stderr)
        before = store.history()[-1].number if store.history() else None
        revisions.commit(store, RopaGraph.empty(), author=revisions.default_author(), kind="edit",
                         reason="ropa store reset: start from an empty store", origin="reset: an empty store")
    back = f" To undo: ropa store restore {before} --store {path}" if before is not None else ""
    print(f"The store {path} is empty now (the explorer will not fill it with the sample).{back}")
    return 0


def cmd_history(args) -> int:
    """The store's revisions (``ropa history``), or one with its record diff and findings (``show N``)."""
    from . import revisions
    if args.action == "show":
        if args.number is None:
            raise InputError("say which revision: ropa history show N")
        with open_store(args, read_only=True) as store:
            rev, _ = revisions.find(store, args.number)
            new, resolved = revisions.revision_findings(store, args.number, args.as_of)
        a, r, c = rev.counts()
        print(f"Revision {rev.number} ({rev.kind}) at {rev.at} by {rev.author}: {rev.reason}")
        if rev.controllers:
            print(f"Controllers: {rev.controllers}")
        print(f"Records: {a} added, {r} removed, {c} changed ({rev.summary})")
        for name, part in rev.change.items():
            for what in ("added", "removed"):
                for rec in part.get(what, ())[:args.limit]:
                    print(f"  {what:8} {name.split('/', 1)[1]} {_record_label(rec)}")
            for old, new_rec in part.get("changed", ())[:args.limit]:
                fields = sorted(k for k in set(old) | set(new_rec) if old.get(k) != new_rec.get(k))
                print(f"  changed  {name.split('/', 1)[1]} {_record_label(new_rec)}: " + "; ".join(
                    f"{k} {old.get(k)!r} -> {new_rec.get(k)!r}" for k in fields))
        print(f"Findings as of {args.as_of}: {len(new)} new, {len(resolved)} resolved")
        for label, found in (("new", new), ("resolved", resolved)):
            for f in found:
                print(f"  {label:8} {f.severity:6} {f.rule}: {f.subject} ({f.controller} / {f.activity})")
        return 0
    with open_store(args, read_only=True) as store:
        revs = revisions.history(store)
    if args.author:
        revs = [r for r in revs if r.author == args.author]
    if args.controller:
        revs = [r for r in revs if args.controller in r.controllers.split("; ")]
    frame = revisions.frame(revs)
    if args.format == "csv":
        from .tables import write_csv
        write_csv(frame, sys.stdout.buffer)
        return 0
    if args.format == "json":
        print(json.dumps(frame.to_dict("records"), indent=2, ensure_ascii=False))
        return 0
    if not revs:
        print("No revisions yet: changes made by `ropa import`, `ropa revert` and the explorer are listed here.")
        return 0
    for r in revs:
        a, rm, c = r.counts()
        print(f"{r.number:>4}  {r.at}  {r.kind:7}  {r.author}: {r.reason}  [+{a} -{rm} ~{c}]")
    return 0


def _record_label(rec: dict) -> str:
    if "id" in rec:
        return repr(rec.get("name") or rec["id"])
    via = f" ({rec['activity']})" if rec.get("activity") else ""
    return f"{rec.get('src')} -> {rec.get('dst')}{via}"


def cmd_revert(args) -> int:
    """Restore the RoPA as it was before revision N, as a new revision."""
    from . import revisions
    with open_store(args) as store:
        rev = revisions.revert(store, args.number, author=args.author or revisions.default_author(),
                               reason=args.reason or f"revert of revision {args.number}")
    a, r, c = rev.counts()
    print(f"Revision {rev.number}: the RoPA as it was before revision {args.number} "
          f"({a} added, {r} removed, {c} changed). To undo: ropa revert {rev.number}")
    return 0


def cmd_rules(args) -> int:
    """List the rule pack."""
    from .rules import load_rules
    for r in load_rules():
        print(f"{r.id:28} {r.severity:6} {r.title}  [{r.article}]")
    return 0


@contextlib.contextmanager
def _open_report_source(args):
    """The RoPA for `check` / `report` / `snapshot save`: the files, else the store chosen if it has data
    (read-only), else the sample."""
    from .backends.choice import choose_store
    from .report.source import open_source
    choice = choose_store(backend=getattr(args, "backend", None) or "embedded", store=getattr(args, "store", None))
    if choice.kind == "embedded":
        _refuse_empty_store_file(choice.path)
    with open_source(args.files, choice) as src:
        for note in src.notices:  # e.g. an interrupted import found and ignored
            print(f"note: {note}", file=sys.stderr)
        yield src


@contextlib.contextmanager
def _without_drafts(backend):
    """The store without the drafts awaiting review (an import marked --needs-review, a notice), said on
    standard error: they are not part of the record until someone accepts them."""
    from . import revisions
    reviewed, left_out = revisions.reviewed_store(backend)
    try:
        if left_out:
            print(f"note: {left_out} drafted record(s) awaiting review are left out until accepted (the "
                  "explorer's Record page lists them; `ropa history` shows the import that drafted them)",
                  file=sys.stderr)
        yield reviewed
    finally:
        if reviewed is not backend:
            reviewed.close()


def cmd_report(args) -> int:
    """Write the DPO transfer-risk report in the format the --out extension (or --format) names."""
    from .report import build_report, format_for_path, render
    from .snapshots import load_snapshot
    fmt = format_for_path(args.out, args.format)
    if args.out != "-":
        output_path(args.out)
    since = load_snapshot(args.diff_against, args.snapshots) if args.diff_against else None
    with _open_report_source(args) as src, _without_drafts(src.backend) as backend:
        _say_source(src, args)
        report = build_report(backend, args.as_of, args.controller, src.label, since)
    data = render(report, fmt)
    if args.out == "-":
        sys.stdout.buffer.write(data)
        return 0
    out = write_atomically(args.out, lambda fp: fp.write(data))
    print(f"Wrote {out}: {len(report.transfers)} restricted transfers, {len(report.findings)} findings "
          f"as of {report.as_of} ({src.label}).")
    return 0


def cmd_transfers(args) -> int:
    """Print or write the register of restricted transfers with their verdicts (the report's CSV columns)."""
    from .report.content import _scope
    from .rules import evaluate
    from .tables import write_csv_rows
    from .transfers import REGISTER_HEADERS, build_register, register_rows
    fmt = args.format
    if fmt == "xlsx" and args.out in (None, "-"):
        raise RopaError("--format xlsx needs --out FILE.xlsx")
    with _open_report_source(args) as src, _without_drafts(src.backend) as backend:
        _say_source(src, args)
        known = sorted({r["c"] for r in backend.run(
            "MATCH (c:Organisation)-[:CONTROLS]->(:Activity) RETURN DISTINCT c.name AS c")} - {None}, key=str.casefold)
        scope = set(_scope(args.controller, known))
        register = [t for t in build_register(backend, args.as_of, evaluate(backend, args.as_of))
                    if t.controller in scope]
    rows = register_rows(register)
    buf = io.BytesIO()
    if fmt == "csv":
        write_csv_rows(REGISTER_HEADERS, rows, buf)
    elif fmt == "json":
        keys = ["controller", "activity", "exporter", "importer", "role", "path", "destination", "destination_name",
                "resolved", "mechanism", "mechanism_label", "mechanism_raw", "mechanism_date", "tia", "adequacy",
                "verdict", "verdict_label", "severity", "rules", "reasons", "legal_source", "basis_legal_source",
                "remediation", "evidence", "source", "row"]
        out = []
        for t in register:
            d = {k: getattr(t, k) for k in keys if k not in ("rules", "verdict_label", "severity", "reasons",
                                                               "legal_source", "remediation")}
            d.update(verdict_label=t.verdict_label, severity=t.severity, rules=[f.rule for f in t.findings],
                     rule_titles=[f.title for f in t.findings], reasons=t.reasons, legal_source=t.legal_source,
                     remediation=t.remediation,
                     mechanism_date=t.mechanism_date.isoformat() if t.mechanism_date else None)
            out.append({k: d[k] for k in keys + ["rule_titles"] if k in d})
        buf.write(json.dumps({"as_of": args.as_of.isoformat(), "source": src.label, "transfers": out},
                             ensure_ascii=False, indent=2).encode("utf-8") + b"\n")
    elif fmt == "xlsx":
        from . import xlsx
        xlsx.write_workbook(buf, [("Transfers", REGISTER_HEADERS, rows)],
                            title=f"Restricted transfers, as of {args.as_of}")
    else:
        buf.write(_transfer_table(register, args.as_of, src.label).encode("utf-8"))
    data = buf.getvalue()
    if args.out in (None, "-"):
        sys.stdout.buffer.write(data)
    else:
        out_path = Path(args.out)
        tmp = out_path.with_name(out_path.name + ".part")
        tmp.write_bytes(data)
        tmp.replace(out_path)
        print(f"Wrote {out_path}: {len(register)} restricted transfers as of {args.as_of} ({src.label}).")
    return 0


def _transfer_table(register, as_of, label: str) -> str:
    """The register as text for a terminal: one block per transfer, worst first, and the count per verdict."""
    from collections import Counter
    from .transfers import VERDICTS
    if not register:
        return f"No restricted transfers as of {as_of} ({label}).\n"
    lines = []
    for t in register:
        lines.append(f"{t.verdict_label.upper():18} {t.controller} / {t.activity}: {' → '.join(t.path)} "
                     f"({t.destination_name})")
        lines.append(f"{'':18} mechanism: {t.mechanism_text}")
        for f in t.findings:
            lines.append(f"{'':18} {f.severity}: {f.title or f.rule}: {f.reason}")
    c = Counter(t.verdict for t in register)
    lines.append("")
    lines.append(f"{len(register)} restricted transfers as of {as_of}: "
                 + ", ".join(f"{c[v]} {VERDICTS[v].lower()}" for v in VERDICTS if c[v]))
    return "\n".join(lines) + "\n"


def cmd_snapshot(args) -> int:
    """Save a snapshot of the RoPA and its findings, or list the snapshots."""
    from .snapshots import list_snapshots, save_snapshot, snapshot_dir
    if args.action == "list":
        unreadable: list = []
        snaps = list_snapshots(args.snapshots, unreadable)
        _print_warnings(unreadable)
        if not snaps:
            print(f"No snapshots in {snapshot_dir(args.snapshots)}.")
        for s in snaps:
            print(f"{s.name:24} as of {s.as_of}  saved {s.created}  {len(s.findings):4} findings  "
                  f"data {s.fingerprint}  {s.source}")
        return 0
    from .rules import evaluate, rule_pack_version
    with _open_report_source(args) as src:
        graph = src.backend.export()
        findings = evaluate(src.backend, args.as_of)
    snap = save_snapshot(graph, findings, args.name, args.as_of, source=src.label,
                         rule_pack_version=rule_pack_version(), directory=args.snapshots, overwrite=args.force)
    print(f"Saved snapshot {snap.name} ({len(findings)} findings as of {args.as_of}, {src.label}) to {snap.path}")
    return 0


def cmd_extract(args) -> int:
    """Draft a RoPA from a privacy notice and print it."""
    from .extract import extract, to_json, write_csv, draft_register_csv
    from .extract.document import MAX_NOTICE_BYTES, too_long
    path = input_file(args.file)
    size = path.stat().st_size
    if size > MAX_NOTICE_BYTES:  # said from its size: a 20 GB file is not read into memory to be refused
        raise FormatError(Problem(path.name, None, None, None, too_long(size, MAX_NOTICE_BYTES, "bytes")))
    draft = extract(read_input(path, MAX_NOTICE_BYTES), path.name)
    if args.format == "json":
        print(json.dumps(to_json(draft), ensure_ascii=False, indent=2))
    elif args.format == "csv":
        sys.stdout.write(write_csv(draft))
    else:
        sys.stdout.write(draft_register_csv(draft))
    return 0


def cmd_generate(args) -> int:
    """Write a synthetic RoPA of about N relationships (deterministic for a seed)."""
    import time
    from .generate import REGISTER_NAME, write_generated
    t0 = time.perf_counter()
    stats = write_generated(args.out, args.relationships, args.seed)
    print(f"Wrote {Path(args.out) / REGISTER_NAME}: {stats.rows} rows, {stats.activities} activities of "
          f"{stats.controllers} controllers, {stats.organisations} organisations, "
          f"{stats.relationships} relationships when imported (seed {args.seed}, "
          f"{time.perf_counter() - t0:.1f} s).")
    return 0


def _positive(text: str) -> int:
    try:
        n = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return n


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ropa", description="RoPA Graph Explorer: GDPR transfer-risk checks over a "
                                "Record of Processing Activities as a graph.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    c = sub.add_parser("check", help="evaluate the rule pack", description="Check register or graph files "
                       "(in a scratch store: in memory, or a temporary folder for large files); with no files, "
                       "the persistent store (--store, $ROPA_STORE, "
                       "or Neo4j with --backend neo4j); the bundled sample data only when that store is empty "
                       "(said on stderr).")
    c.add_argument("files", nargs="*", help="register CSV/XLSX, bundle zip, GraphML or node-link JSON")
    c.add_argument("--as-of", type=_date, default=dt.date.today(), help="evaluation date (default: today)")
    c.add_argument("--format", choices=["table", "json", "csv"], default="table")
    c.add_argument("--fail-on", choices=["low", "medium", "high"],
                   help="exit with 1 when a finding has this severity or worse")
    c.add_argument("--sample", action="store_true", help=argparse.SUPPRESS)
    _add_store_options(c)
    c.set_defaults(func=cmd_check)

    i = sub.add_parser("import", help="import files into the persistent store",
                       description="Merge files into the store; the import lands whole or not at all.")
    i.add_argument("files", nargs="+")
    i.add_argument("--progress", action="store_true", help="print progress lines on standard error "
                   "(the default when it is a terminal)")
    i.add_argument("--author", help="who imports (the revision's author; default: the OS user)")
    i.add_argument("--reason", help="why (the revision's reason; default: 'import of FILES')")
    i.add_argument("--needs-review", action="store_true",
                   help="the files are drafts (e.g. a generated register): their new activities and recipients "
                        "stay out of the Art. 30 record and the report until someone accepts them (Record page)")
    _add_store_options(i)
    i.set_defaults(func=cmd_import)

    e = sub.add_parser("export", help="export the stored RoPA")
    e.add_argument("--format", choices=["csv", "xlsx", "bundle", "json", "graphml", "cypher"], required=True)
    e.add_argument("--out", required=True, help="output file, or - for standard output")
    e.add_argument("--sample", action="store_true", help="export the bundled sample data instead of the store")
    _add_store_options(e)
    e.set_defaults(func=cmd_export)

    rp = sub.add_parser("report", help="write the DPO transfer-risk report (html, pdf, xlsx, csv, md)",
                        description="Write the transfer-risk report. Data: the FILEs given; else the persistent "
                        "store; else, when the store is empty, the bundled sample data.")
    rp.add_argument("files", nargs="*", help="register CSV/XLSX, bundle zip, GraphML or node-link JSON")
    rp.add_argument("--out", required=True, help="output file (.html .pdf .xlsx .csv .md), or - for standard output")
    rp.add_argument("--format", choices=["html", "pdf", "xlsx", "csv", "md"],
                    help="output format (default: from the --out extension)")
    rp.add_argument("--as-of", type=_date, default=dt.date.today(), help="evaluation date (default: today)")
    rp.add_argument("--controller", action="append", metavar="NAME",
                    help="report on this controller only (repeatable; default: all)")
    rp.add_argument("--diff-against", metavar="SNAPSHOT", help="add a 'changes since' section against a snapshot")
    rp.add_argument("--snapshots", metavar="DIR", help="snapshot folder (default: $ROPA_SNAPSHOTS or .ropa/snapshots)")
    _add_store_options(rp)
    rp.set_defaults(func=cmd_report)

    tr = sub.add_parser("transfers", help="the register of restricted transfers with their verdicts",
                        description="Every restricted transfer (hop, path incl. sub-processor chains, destination, "
                        "mechanism, verdict, severity, rules, legal source, evidence), worst first, with the columns "
                        "of the report's CSV. Data: the FILEs given; else the persistent store; else, when the store "
                        "is empty, the bundled sample data (said on stderr).")
    tr.add_argument("files", nargs="*", help="register CSV/XLSX, bundle zip, GraphML or node-link JSON")
    tr.add_argument("--as-of", type=_date, default=dt.date.today(), help="evaluation date (default: today)")
    tr.add_argument("--controller", action="append", metavar="NAME",
                    help="this controller's transfers only (repeatable; default: all)")
    tr.add_argument("--format", choices=["table", "csv", "json", "xlsx"], default="table")
    tr.add_argument("--out", metavar="FILE", help="write to FILE instead of standard output (needed for xlsx)")
    _add_store_options(tr)
    tr.set_defaults(func=cmd_transfers)

    sn = sub.add_parser("snapshot", help="save or list snapshots of the RoPA and its findings")
    snsub = sn.add_subparsers(dest="action", metavar="ACTION", required=True)
    ss = snsub.add_parser("save", help="save a snapshot", description="Save the RoPA (the FILEs, else the store, "
                          "else the sample data) and its findings as of a date, to diff reports against later.")
    ss.add_argument("name", metavar="NAME", help="letters, digits, '.', '_' and '-'")
    ss.add_argument("files", nargs="*", help="register or graph files (default: the store)")
    ss.add_argument("--as-of", type=_date, default=dt.date.today(), help="evaluation date (default: today)")
    ss.add_argument("--force", action="store_true", help="overwrite a snapshot of the same name")
    ss.add_argument("--snapshots", metavar="DIR", help="snapshot folder (default: $ROPA_SNAPSHOTS or .ropa/snapshots)")
    _add_store_options(ss)
    sl = snsub.add_parser("list", help="list the snapshots")
    sl.add_argument("--snapshots", metavar="DIR", help="snapshot folder (default: $ROPA_SNAPSHOTS or .ropa/snapshots)")
    sn.set_defaults(func=cmd_snapshot)
    x = sub.add_parser("extract", help="draft a RoPA from a privacy notice or sub-processor list",
                       description="Read a notice (text, Markdown, HTML; PDF with pypdf) and print the recipients, "
                       "their countries and transfer mechanisms, and the activities, each with its evidence sentence.")
    x.add_argument("file", help="the notice")
    x.add_argument("--format", choices=["json", "csv", "register"], default="json",
                   help="json (default), csv (one row per recipient) or register (canonical register CSV)")
    x.set_defaults(func=cmd_extract)

    g = sub.add_parser("generate", help="write a synthetic RoPA for scale tests",
                       description="Write DIR/register.csv (canonical register format) of a group of controllers "
                       "sharing vendors with sub-processor trees, sized to about N relationships once imported, "
                       "and DIR/manifest.json. The same seed gives the same files.")
    g.add_argument("--relationships", type=_positive, required=True, metavar="N",
                   help="relationships in the imported graph (e.g. 1000000)")
    g.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    g.add_argument("--out", required=True, metavar="DIR", help="output folder")
    g.set_defaults(func=cmd_generate)

    so = sub.add_parser("store", help="the store itself: its states, restore one, upgrade it, reset it to empty",
                        description="The embedded store keeps its last states (5, or $ROPA_STORE_KEEP): every "
                        "import, restore, upgrade or reset makes a new one. List them, or make an earlier one current "
                        "again (itself a new state and a new revision in `ropa history`, so a restore can be undone "
                        "too). `upgrade` brings a store written by an older version up to date; `reset` starts from "
                        "an empty store, the previous state staying restorable.")
    sosub = so.add_subparsers(dest="action", metavar="ACTION", required=True)
    sh = sosub.add_parser("history", help="list the states the store keeps")
    _add_store_path(sh)
    sr = sosub.add_parser("restore", help="make state N's RoPA current again (a new state and a new revision)")
    sr.add_argument("number", type=_positive, metavar="N", help="a state number from `ropa store history`")
    sr.add_argument("--author", help="who restores (the revision's author; default: the OS user)")
    sr.add_argument("--reason", help="why (the revision's reason; default: 'restore of state N')")
    _add_store_path(sr)
    su = sosub.add_parser("upgrade", help="bring a store written by an older version up to date (a new state)")
    _add_store_options(su)
    sz = sosub.add_parser("reset", help="start from an empty store (a new state; `ropa store restore` undoes it)")
    _add_store_path(sz)
    so.set_defaults(func=cmd_store)

    hi = sub.add_parser("history", help="the revisions of the stored RoPA: who changed what, when, why",
                        description="List the revisions (every import, edit in the explorer, revert); "
                        "`ropa history show N` prints one with its records and the findings it added and resolved.")
    hi.add_argument("action", nargs="?", choices=["list", "show"], default="list")
    hi.add_argument("number", nargs="?", type=_positive, metavar="N")
    hi.add_argument("--as-of", type=_date, default=dt.date.today(), help="evaluation date of the findings "
                    "(default: today)")
    hi.add_argument("--author", help="only this author's revisions")
    hi.add_argument("--controller", help="only revisions that changed this controller's records")
    hi.add_argument("--format", choices=["table", "csv", "json"], default="table")
    hi.add_argument("--limit", type=_positive, default=50, help="records shown per table (show)")
    _add_store_options(hi)
    hi.set_defaults(func=cmd_history)

    rv = sub.add_parser("revert", help="restore the RoPA as it was before revision N (a new revision)")
    rv.add_argument("number", type=_positive, metavar="N")
    rv.add_argument("--author", help="default: the OS user")
    rv.add_argument("--reason", help="default: 'revert of revision N'")
    _add_store_options(rv)
    rv.set_defaults(func=cmd_revert)

    r = sub.add_parser("rules", help="list the rule pack")
    r.set_defaults(func=cmd_rules)
    return p


class Terminated(BaseException):
    """SIGTERM (``timeout``, ``docker stop``, a shutdown): unwinds like Ctrl-C, so a write cleans up."""


def _terminate(signum, frame):
    raise Terminated(signum)


def _print_problems(exc: InputError) -> None:
    """The error, then every problem in the order found (grouped when many say the same thing)."""
    errors = [p for p in exc.problems if p.severity == "error"]
    if len(exc.problems) <= 1:
        print(f"error: {exc}", file=sys.stderr)
        return
    files = list(dict.fromkeys(p.file for p in exc.problems if p.file))
    files = files[:3] + (["..."] if len(files) > 3 else [])
    warnings = len(exc.problems) - len(errors)
    print(f"error: {', '.join(files) or 'the input'}: {len(errors)} error(s)"
          + (f" and {warnings} warning(s)" if warnings else "") + ", in the order found:", file=sys.stderr)
    for line in problem_lines(exc.problems):
        print(f"  {line}", file=sys.stderr)


def _print_warnings(warnings) -> None:
    for line in problem_lines(list(warnings)):
        print(line, file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    import signal
    import threading
    args = build_parser().parse_args(argv)
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        return args.func(args)
    except (KeyboardInterrupt, Terminated) as exc:
        what = "terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted (Ctrl-C)"
        print(f"error: {what}; an import lands whole or not at all: `ropa store history` shows the state "
              "the store holds", file=sys.stderr)
        return 143 if isinstance(exc, Terminated) else 130
    except InputError as exc:
        _print_problems(exc)
        return EXIT_ERROR
    except RopaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except FileNotFoundError as exc:
        print(f"error: no such file: {exc.filename}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # `ropa check | head`: the reader left; not an error of ours
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:  # a full disk while writing to standard output, a file gone mid-read, ...
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_ERROR
    except UnicodeDecodeError as exc:
        # every reader turns undecodable input into a FormatError; text that is not UTF-8 reaching here was
        # read from the store, whose files are damaged
        store = f" {_store_path(args)}" if getattr(args, "backend", None) == "embedded" else ""
        print(f"error: the store{store} holds text that is not valid UTF-8 ({exc.reason} at byte {exc.start}): "
              "it is damaged; restore it from a backup", file=sys.stderr)
        return EXIT_ERROR
    except MemoryError:
        print("error: out of memory", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # a bug of ours: said in one line (ROPA_DEBUG=1 shows the traceback), exit 2
        import os
        if os.environ.get("ROPA_DEBUG"):
            raise
        print(f"error: unexpected {type(exc).__name__}: {exc} (a bug in ropa: please report it with the command; "
              "ROPA_DEBUG=1 shows where)", file=sys.stderr)
        return EXIT_ERROR
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
