"""The ``ropa`` command line: a thin layer over the library.

Every command translates library errors into one-line messages (exit 2);
``ropa check`` exits 1 when a finding reaches ``--fail-on``.
"""
from __future__ import annotations

import argparse
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
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _add_store_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--backend", choices=["embedded", "neo4j"], default="embedded",
                   help="graph store (default: embedded LadybugDB)")
    p.add_argument("--store", metavar="PATH",
                   help="embedded store location (default: $ROPA_STORE or .ropa/ropa.lbdb)")


def open_store(args, *, memory: bool = False, read_only: bool = False, to_write: bool = False):
    """Open the backend the arguments ask for (``to_write``: an import, which may start a store afresh)."""
    from .backends import open_backend
    if args.backend == "neo4j":
        from .backends.neo4j_config import neo4j_settings
        return open_backend("neo4j", **neo4j_settings())
    if memory:
        return open_backend("embedded", path=None)
    path = _store_path(args)
    if not to_write:
        _refuse_empty_store_file(path)
    return open_backend("embedded", path=path, read_only=read_only)


def _store_path(args) -> Path:
    from .backends.embedded import default_store_path
    return Path(args.store or default_store_path())


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
    """Evaluate the rule pack and print the findings."""
    from .findings import at_or_above, findings_frame
    from .rules import evaluate
    from .samples import sample_graph
    if args.backend == "neo4j":
        # Neo4j holds a shared RoPA: check what it holds, never overwrite it with the files given.
        if args.files:
            raise RopaError("ropa check FILE checks files in a scratch store; to check them on Neo4j, "
                            "import them first (ropa import FILE --backend neo4j), then run ropa check --backend neo4j")
        with open_store(args) as store:
            if args.sample:
                store.replace(sample_graph())
            findings = evaluate(store, args.as_of)
    else:
        graph = _read_inputs(args.files) if args.files else sample_graph()
        _print_warnings(graph.warnings)
        from .backends.embedded import EmbeddedBackend
        with EmbeddedBackend(None) as store:  # files are checked in a scratch store; yours is untouched
            store.replace(graph)
            findings = evaluate(store, args.as_of)
    if args.format == "json":
        keys = ["rule", "severity", "subject", "path", "reason", "legal_source", "evidence",
                "controller", "activity", "exporter", "importer", "destination", "mechanism", "remediation",
                "source", "row"]
        print(json.dumps([{k: getattr(f, k) for k in keys} for f in findings], ensure_ascii=False, indent=2))
    elif args.format == "csv":
        from .tables import write_csv
        buf = io.BytesIO()
        write_csv(findings_frame(findings), buf)
        sys.stdout.write(buf.getvalue().decode("utf-8-sig"))
    else:
        _print_table(findings, args.as_of)
    return EXIT_FINDINGS if args.fail_on and at_or_above(findings, args.fail_on) else 0


def _print_table(findings, as_of) -> None:
    from collections import Counter
    if not findings:
        print(f"No findings as of {as_of}.")
        return
    w = max(len(f.rule) for f in findings)
    for f in findings:
        subject = f.subject if not f.controller else f"{f.subject} ({f.controller})"
        print(f"{f.severity.upper():6} {f.rule:{w}}  {subject}")
        print(f"{'':6} {'':{w}}  {f.reason}")
    c = Counter(f.severity for f in findings)
    print(f"\n{len(findings)} findings as of {as_of}: "
          + ", ".join(f"{c[s]} {s}" for s in ("high", "medium", "low") if c[s]))


def cmd_import(args) -> int:
    """Import files into the persistent store (all files or nothing)."""
    graph = _read_inputs(args.files)
    _print_warnings(graph.warnings)
    with open_store(args, to_write=True) as store:
        merged = store.load(graph)
        print(f"Imported {len(args.files)} file(s) into {store.describe()}: "
              f"{len(merged.nodes['Activity'])} activities, {len(merged.nodes['Organisation'])} organisations, "
              f"{len(merged.rels['DISCLOSES_TO']) + len(merged.rels['ENGAGES'])} recipient links.")
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


def cmd_rules(args) -> int:
    """List the rule pack."""
    from .rules import load_rules
    for r in load_rules():
        print(f"{r.id:28} {r.severity:6} {r.title}  [{r.article}]")
    return 0


def _open_report_source(args):
    """The RoPA for `report` / `snapshot save`: the files, else the store if it has data, else the sample."""
    from .report.source import open_source
    opener = None
    if args.backend == "neo4j":
        opener = lambda: open_store(args)  # noqa: E731
    else:
        from .backends.embedded import default_store_path
        path = Path(args.store or default_store_path())
        _refuse_empty_store_file(path)
        if path.exists():
            opener = lambda: open_store(args, read_only=True)  # noqa: E731
    return open_source(args.files, opener)


def cmd_report(args) -> int:
    """Write the DPO transfer-risk report in the format the --out extension (or --format) names."""
    from .report import build_report, format_for_path, render
    from .snapshots import load_snapshot
    fmt = format_for_path(args.out, args.format)
    if args.out != "-":
        output_path(args.out)
    since = load_snapshot(args.diff_against, args.snapshots) if args.diff_against else None
    with _open_report_source(args) as src:
        _print_warnings(src.warnings)
        report = build_report(src.backend, args.as_of, args.controller, src.label, since)
    data = render(report, fmt)
    if args.out == "-":
        sys.stdout.buffer.write(data)
        return 0
    out = write_atomically(args.out, lambda fp: fp.write(data))
    print(f"Wrote {out}: {len(report.transfers)} restricted transfers, {len(report.findings)} findings "
          f"as of {report.as_of} ({src.label}).")
    return 0


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
    from .extract import extract, to_json, write_csv, write_register
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
        sys.stdout.write(write_register(draft))
    return 0


def cmd_generate(args) -> int:
    """Write a synthetic RoPA of about N relationships (deterministic for a seed)."""
    import time
    from .generate import REGISTER_NAME, write_register
    t0 = time.perf_counter()
    stats = write_register(args.out, args.relationships, args.seed)
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
                       "(in a scratch in-memory store) or, with no files, the bundled sample data.")
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

    r = sub.add_parser("rules", help="list the rule pack")
    r.set_defaults(func=cmd_rules)
    return p


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
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
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
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug of ours: said in one line (ROPA_DEBUG=1 shows the traceback), exit 2
        import os
        if os.environ.get("ROPA_DEBUG"):
            raise
        print(f"error: unexpected {type(exc).__name__}: {exc} (a bug in ropa: please report it with the command; "
              "ROPA_DEBUG=1 shows where)", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
