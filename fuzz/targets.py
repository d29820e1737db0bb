"""One fuzz target per importer: what it calls, its seed inputs, how to mutate them.

A target passes when the importer either returns or raises one of the project's own
typed errors (:class:`ropa.errors.RopaError`: FormatError, ValidationError, ...).
Anything else (a KeyError from deep inside, a RecursionError, a pandas error) is a
crash: :func:`check` re-raises it.

Seeds are made here from the valid samples (``data/samples``), their exports in
every format, the notice fixtures (``tests/notices``) and the seed notices
(``../shared/seeds`` when present), and HTML renderings of those notices.
"""
from __future__ import annotations

import html
import io
import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

from . import mutate

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Target:
    name: str
    call: Callable[[bytes], object]
    seeds: Callable[[], list[bytes]]
    zipped: bool = False  # inputs are zip archives: mutate their members
    max_size: int = 16 * 1024  # large inputs are slow under instrumentation and rarely find more

    def mutate(self, data: bytes, rng: random.Random, corpus: list[bytes] | None = None,
               byte_mutator: Callable[[bytes], bytes] | None = None) -> bytes:
        """A mutant of ``data``; ``byte_mutator`` (atheris.Mutate) is used for part of the byte-level work."""
        def inner(b: bytes) -> bytes:
            if byte_mutator is not None and rng.random() < 0.5:
                return byte_mutator(b)
            return mutate.structural(b, rng, self.max_size, corpus)
        try:
            return mutate.mutate_zip(data, rng, self.max_size, inner) if self.zipped else inner(data)
        except Exception:  # noqa: BLE001 - a mutator's own bug must not stop the run
            return mutate.mutate_bytes(data, rng, self.max_size, corpus)


# -- what each target calls -------------------------------------------------------

def storable(graph):
    """What the importer accepted converts to the embedded store's Arrow columns (the step before COPY FROM),
    so an accepted file cannot fail later in the store with an overflow or an unencodable string."""
    import pyarrow as pa
    from ropa.backends.embedded import ARROW_TYPES
    from ropa.schema import NODE_TYPES, REL_TYPES
    for label, t in NODE_TYPES.items():
        df = graph.nodes[label]
        for n, ty in t.properties:
            pa.array(df[n].tolist(), type=ARROW_TYPES[ty])
    for rt, t in REL_TYPES.items():
        df = graph.rels[rt]
        for n, ty in t.properties:
            pa.array(df[n].tolist(), type=ARROW_TYPES[ty])
        for end in ("src", "dst"):
            pa.array(df[end].tolist(), pa.string())
    return graph


def _register(data: bytes, name: str):
    from ropa.formats.register import read_register
    return storable(read_register(io.BytesIO(data), name))


def register_csv(data: bytes):
    return _register(data, "fuzz.csv")


def register_xlsx(data: bytes):
    return _register(data, "fuzz.xlsx")


def bundle(data: bytes):
    from ropa.formats.graphio import read_bundle
    return storable(read_bundle(io.BytesIO(data), "fuzz.zip"))


def graphml(data: bytes):
    from ropa.formats.graphio import read_graphml
    return storable(read_graphml(io.BytesIO(data), "fuzz.graphml"))


def node_link(data: bytes):
    from ropa.formats.graphio import read_node_link
    return storable(read_node_link(io.BytesIO(data), "fuzz.json"))


def notice(data: bytes):
    """The notice extractor, what ``ropa extract`` prints from it, and that register read back."""
    import json
    from ropa.extract import draft_register_csv, extract, to_json, write_csv
    name = "notice.html" if data[:1] == b"<" else ("notice.md" if data[:1] == b"#" else "notice.txt")
    draft = extract(data, name)
    json.dumps(to_json(draft), ensure_ascii=False)
    write_csv(draft)
    # `ropa extract --format register notice > draft.csv && ropa check draft.csv`
    _register(draft_register_csv(draft, f"notice:{name}").encode("utf-8"), "draft.csv")
    return draft


# -- seeds --------------------------------------------------------------------------

TINY = (b"controller,controller_country,activity,data_categories,recipient,recipient_role,engaged_by,"
        b"recipient_country,processing_countries,mechanism,mechanism_date,tia,dpa,evidence\n"
        b"Acme BV,NL,Payroll,name;health,Pay Inc,processor,,US,US;EEA,privacy_shield,2019-05-01,no,yes,\"quote, \"\"x\"\"\"\n"
        b"Acme BV,NL,Payroll,name;health,Cloud Ltd,subprocessor,Pay Inc,Atlantis,,scc_2010,,yes,no,\n"
        b"Acme BV,NL,Hiring,,,,,,,,,,,\n")


@lru_cache(maxsize=None)
def _graphs():
    """Small graphs make fast inputs: the worked example and a tiny register with a chain."""
    from ropa.formats.register import read_register
    from ropa.samples import example_graph
    return [example_graph(), read_register(io.BytesIO(TINY), "tiny.csv")]


def _written(fmt: str) -> list[bytes]:
    from ropa.formats import write_file
    out = []
    for g in _graphs():
        buf = io.BytesIO()
        write_file(g, buf, fmt)
        out.append(buf.getvalue())
    return out


def _csv_seeds() -> list[bytes]:
    seeds = [p.read_bytes() for p in sorted((ROOT / "data").glob("**/*.csv"))
             if p.parent.name in ("samples", "data") and p.stat().st_size <= 20_000]
    examples = ROOT.parent / "shared" / "examples"
    seeds += [p.read_bytes() for p in sorted(examples.glob("*.csv"))] if examples.is_dir() else []
    seeds += _written("csv") + [TINY]
    seeds.append(b"controller;activity;recipient;recipient_country;mechanism\nAcme BV;Payroll;Pay Inc;US;SCC\n")
    seeds.append("Responsable du traitement\tFinalit\u00e9\tNom du traitement\tDestinataires\tPays\n"
                 "Caf\u00e9 Z\u00fcrich\tPaie\tPaie\tSalesforce\tEtats-Unis\n".encode("cp1252"))
    return seeds


def _notice_texts() -> list[bytes]:
    paths = sorted((ROOT / "tests" / "notices").glob("*.txt"))
    shared = ROOT.parent / "shared" / "seeds"
    if shared.is_dir():  # the larger real notices slow the fuzzer down; keep those up to 20 kB
        paths += [p for p in sorted(shared.glob("*.txt")) if p.stat().st_size <= 20_000]
    return [p.read_bytes() for p in paths]


def _as_html(text: bytes) -> bytes:
    """A notice as a web page: headings, paragraphs, lists and a table, entities escaped."""
    out = ["<!DOCTYPE html><html><head><title>Privacy</title><style>p{}</style></head><body>"]
    for block in text.decode("utf-8", "replace").split("\n\n"):
        lines = [ln for ln in block.splitlines() if ln.strip()]
        if not lines:
            continue
        if lines[0].startswith("#"):
            out.append(f"<h2>{html.escape(lines[0].lstrip('# '))}</h2>")
            lines = lines[1:]
        if lines and all(ln.startswith("|") for ln in lines):
            out.append("<table>" + "".join("<tr>" + "".join(f"<td>{html.escape(c.strip())}</td>"
                                                           for c in ln.strip("|").split("|")) + "</tr>"
                                           for ln in lines) + "</table>")
        elif lines and all(ln.lstrip().startswith(("-", "*")) for ln in lines):
            out.append("<ul>" + "".join(f"<li>{html.escape(ln.lstrip(' -*'))}</li>" for ln in lines) + "</ul>")
        elif lines:
            out.append("<p>" + html.escape(" ".join(lines)).replace("&#x27;", "&rsquo;") + "</p>")
    out.append("<script>var x = '<p>not text</p>';</script></body></html>")
    return "\n".join(out).encode("utf-8")


def _chunks(text: bytes, size: int = 1500) -> list[bytes]:
    """A notice cut at paragraph breaks into pieces of about ``size`` bytes (the extractor is slow on whole
    notices under instrumentation; its rules work sentence by sentence and section by section)."""
    out, cur = [], b""
    for para in text.split(b"\n\n"):
        if cur and len(cur) + len(para) > size:
            out.append(cur)
            cur = b""
        cur += para + b"\n\n"
    return out + [cur] if cur.strip() else out


def _notice_seeds() -> list[bytes]:
    texts = _notice_texts()
    chunks = [c for t in texts for c in _chunks(t)]
    return chunks + [_as_html(c) for c in chunks[::3]]


TARGETS: dict[str, Target] = {t.name: t for t in (
    Target("register_csv", register_csv, _csv_seeds),
    Target("register_xlsx", register_xlsx, lambda: _written("xlsx"), zipped=True, max_size=128 * 1024),
    Target("bundle", bundle, lambda: _written("bundle"), zipped=True, max_size=128 * 1024),
    Target("graphml", graphml, lambda: _written("graphml")),
    Target("node_link", node_link, lambda: _written("json")),
    Target("notice", notice, _notice_seeds, max_size=16 * 1024),
)}


def check(target: Target, data: bytes) -> bool:
    """Run ``target`` on ``data``: True when it was accepted, False for a typed error; else it raises."""
    from ropa.errors import RopaError
    try:
        target.call(data)
    except RopaError:
        return False
    return True
