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

from .errors import InputError, RopaError

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


def open_store(args, *, memory: bool = False, read_only: bool = False):
    """Open the backend the arguments ask for."""
    from .backends import open_backend
    if args.backend == "neo4j":
        from .backends.neo4j_config import neo4j_settings
        return open_backend("neo4j", **neo4j_settings())
    if memory:
        return open_backend("embedded", path=None)
    from .backends.embedded import default_store_path
    return open_backend("embedded", path=args.store or default_store_path(), read_only=read_only)


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
        for w in graph.warnings:
            print(f"warning: {w}", file=sys.stderr)
        from .backends.embedded import EmbeddedBackend
        with EmbeddedBackend(None) as store:  # files are checked in a scratch store; yours is untouched
            store.replace(graph)
            findings = evaluate(store, args.as_of)
    if args.format == "json":
        keys = ["rule", "severity", "subject", "path", "reason", "legal_source", "evidence",
                "controller", "activity", "destination", "mechanism", "remediation", "source", "row"]
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
    for w in graph.warnings:
        print(f"warning: {w}", file=sys.stderr)
    with open_store(args) as store:
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
        out = Path(args.out)
        tmp = out.with_name(out.name + ".part")
        with open(tmp, "wb") as fp:
            writer(graph, fp)
        tmp.replace(out)
        print(f"Wrote {out}")
    return 0


def cmd_rules(args) -> int:
    """List the rule pack."""
    from .rules import load_rules
    for r in load_rules():
        print(f"{r.id:28} {r.severity:6} {r.title}  [{r.article}]")
    return 0


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

    r = sub.add_parser("rules", help="list the rule pack")
    r.set_defaults(func=cmd_rules)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        for p in exc.problems[1:20]:
            print(f"  {p}", file=sys.stderr)
        return EXIT_ERROR
    except RopaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except FileNotFoundError as exc:
        print(f"error: no such file: {exc.filename}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
