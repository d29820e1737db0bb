"""Mutations for the fuzz targets: bytes, text cells, JSON and XML structure, zip members.

Pure standard library and a ``random.Random``, so the same mutators serve as
atheris's custom mutator (seeded by libFuzzer) and as the fallback engine's.
Each function takes bytes and returns bytes; none raises on any input.
"""
from __future__ import annotations

import io
import json
import random
import warnings
import zipfile
from typing import Callable
from xml.etree import ElementTree as ET

# Things that break parsers: delimiters, quotes, line ends, NULs, BOMs, stray UTF-8, formula starters,
# XML and JSON syntax, numbers and dates at the edges, and the words the register cares about.
TOKENS: list[bytes] = [
    b",", b";", b"\t", b'"', b"'", b'""', b"\n", b"\r", b"\r\n", b"\x00", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff",
    b"\xc3", b"\xe2\x80\xa8", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x85", b"\x1a", b"\x0c", b"\x0b",
    b"=", b"+", b"-", b"@", b"'=", b"=cmd|' /C calc'!A0",
    b"<", b">", b"&", b"&amp;", b"&#0;", b"&#x110000;", b"&#99999999999;", b"&nbsp;", b"&bogus;", b"<![CDATA[",
    b"]]>", b"<!--", b"-->", b"<?xml", b"<!DOCTYPE", b"</", b"/>", b"<p>", b"<li>", b"<td>", b"<tr>", b"<pre>",
    b"<script>", b"</script>", b"<h2>", b"<table>",
    b"{", b"}", b"[", b"]", b":", b"null", b"true", b"false", b"1e999", b"-0", b"NaN", b"Infinity", b"\\u0000",
    b"\\ud800", b'"\\', b"0", b"-1", b"99999999999999999999", b"1.5", b"2020-13-45", b"0000-00-00",
    b"9999-12-31", b"2020-02-30", b"31/12/1999", b"2021-9", b"0001-01", b"yes", b"nee", b"maybe",
    b"US", b"EEA", b"?:", b"Atlantis", b"privacy_shield", b"scc_2010", b"dpf", b"none", b"adequacy",
    b"processor", b"subprocessor", b"controller", b"::", b"Organisation", b"Activity", b"Country",
    b"DISCLOSES_TO", b"ENGAGES", b"label", b"id", b"type", b"src", b"dst",
    b"standard contractual clauses", b"Privacy Shield", b"GmbH", b"Inc.", b"B.V.", b"United States",
    b"\xc2\xa0", b"\xe2\x80\x8b", b"\xef\xbf\xbd", b" " * 40, b"A" * 300,
]


def _pos(rng: random.Random, data: bytes) -> int:
    return rng.randint(0, len(data))


def mutate_bytes(data: bytes, rng: random.Random, max_size: int, corpus: list[bytes] | None = None) -> bytes:
    """One or a few byte-level mutations."""
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        op = rng.randrange(10)
        n = len(data)
        if op == 0 and n:  # flip a bit
            i = rng.randrange(n)
            data = data[:i] + bytes([data[i] ^ (1 << rng.randrange(8))]) + data[i + 1:]
        elif op == 1 and n:  # set a byte
            i = rng.randrange(n)
            data = data[:i] + bytes([rng.randrange(256)]) + data[i + 1:]
        elif op == 2 and n:  # delete a range
            i = rng.randrange(n)
            data = data[:i] + data[i + rng.randint(1, max(1, min(64, n - i))):]
        elif op == 3 and n:  # duplicate a range
            i = rng.randrange(n)
            j = min(n, i + rng.randint(1, 256))
            data = data[:j] + data[i:j] + data[j:]
        elif op == 4 and n:  # truncate
            data = data[:rng.randrange(n)]
        elif op == 5 and corpus:  # splice with another input
            other = rng.choice(corpus)
            data = data[:_pos(rng, data)] + other[_pos(rng, other):]
        else:  # insert a token (most useful, so the default)
            i = _pos(rng, data)
            tok = rng.choice(TOKENS) * rng.choice((1, 1, 1, 2, 5))
            data = data[:i] + tok + data[i:]
    return data[:max_size]


def reencode(data: bytes, rng: random.Random) -> bytes:
    """The same text in another encoding (what users' spreadsheets do)."""
    text = data.decode("utf-8", "replace")
    enc = rng.choice(("cp1252", "latin-1", "utf-16", "utf-16-le", "utf-8-sig", "utf-32", "mac_roman", "cp437"))
    return text.encode(enc, "replace")


def mutate_lines(data: bytes, rng: random.Random) -> bytes:
    """Line- and cell-level changes to delimited text or prose."""
    lines = data.split(b"\n")
    op = rng.randrange(7)
    if op == 0 and len(lines) > 1:
        rng.shuffle(lines)
    elif op == 1:
        i = rng.randrange(len(lines))
        lines.insert(i, lines[rng.randrange(len(lines))])
    elif op == 2 and len(lines) > 1:
        del lines[rng.randrange(len(lines))]
    elif op == 3:
        a, b = rng.sample([b",", b";", b"\t", b"|"], 2)
        return data.replace(a, b)
    elif op == 4:
        i = rng.randrange(len(lines))
        delim = max((b",", b";", b"\t"), key=lines[i].count)
        cells = lines[i].split(delim)
        j = rng.randrange(len(cells))
        cells[j] = rng.choice([b"", b'"', rng.choice(TOKENS), cells[j] * 5, b'"' + cells[j] + b'"',
                               b'"a""b\nc"', cells[rng.randrange(len(cells))]])
        if rng.random() < 0.3:
            cells.append(rng.choice(TOKENS))
        lines[i] = delim.join(cells)
    elif op == 5:
        return data.replace(b"\n", rng.choice((b"\r\n", b"\r", b"\n\n", b"\x85", b"\r\r\n")))
    else:
        i = rng.randrange(len(lines))
        lines[i] = lines[i] * rng.choice((2, 3, 10))
    return b"\n".join(lines)


def _json_mutate_value(v, rng: random.Random, depth: int = 0):
    if isinstance(v, dict) and v and rng.random() < 0.7:
        k = rng.choice(list(v))
        op = rng.randrange(4)
        if op == 0:
            del v[k]
        elif op == 1:
            v[rng.choice(["label", "id", "type", "source", "target", "_source", "_target", "key", "name", "nodes",
                          "edges", "links", "directed", "multigraph", "graph", "activity", "row", "eea"])] = v[k]
        else:
            v[k] = _json_mutate_value(v[k], rng, depth + 1)
        return v
    if isinstance(v, list) and v and rng.random() < 0.7:
        i = rng.randrange(len(v))
        op = rng.randrange(4)
        if op == 0:
            del v[i]
        elif op == 1:
            v.insert(rng.randrange(len(v) + 1), v[i])
        else:
            v[i] = _json_mutate_value(v[i], rng, depth + 1)
        return v
    return rng.choice([None, True, False, 0, -1, 2**70, 1.5, float("nan"), float("inf"), "", "x", "US",
                       "Organisation", "Organisation:x", "2020-13-45", "2020-01-31", [], {}, [[[[[]]]]],
                       {"label": "Organisation", "id": None}, "a" * 1000, ["US"], 10**400 if depth < 0 else 1e308])


def mutate_json(data: bytes, rng: random.Random) -> bytes:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (ValueError, RecursionError):
        return data
    for _ in range(rng.choice((1, 1, 2, 4))):
        doc = _json_mutate_value(doc, rng)
    if rng.random() < 0.05:
        doc = {"nodes": [doc], "edges": [[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]}
    if rng.random() < 0.03:
        return b"[" * 100000 + b"]" * 100000
    return json.dumps(doc, ensure_ascii=rng.random() < 0.5, allow_nan=True).encode("utf-8", "surrogatepass")


def mutate_xml(data: bytes, rng: random.Random) -> bytes:
    try:
        root = ET.fromstring(data)
    except (ET.ParseError, ValueError, RecursionError):
        return data
    elems = list(root.iter())
    for _ in range(rng.choice((1, 1, 2, 3))):
        e = rng.choice(elems)
        op = rng.randrange(7)
        parent = next((p for p in elems if e in list(p)), None)
        if op == 0 and parent is not None:
            parent.remove(e)
        elif op == 1 and parent is not None:
            parent.append(e)  # the same element twice
        elif op == 2 and e.attrib:
            k = rng.choice(list(e.attrib))
            e.attrib[k] = rng.choice(["", "x", "d0", "n0", "string", "boolean", "int", "long", "double", "node",
                                      "edge", "graph", "all", "true", "-1", "Organisation:x", "a" * 500])
        elif op == 3:
            e.text = rng.choice(["", "true", "false", "NaN", "1e999", "2020-13-45", "Organisation", "x" * 1000,
                                 "-1", "0", "US", None])
        elif op == 4:
            e.attrib[rng.choice(["id", "key", "source", "target", "for", "attr.name", "attr.type",
                                 "edgedefault", "parse.nodeids"])] = rng.choice(["", "n0", "d1", "all", "x"])
        elif op == 5 and e.attrib:
            del e.attrib[rng.choice(list(e.attrib))]
        else:
            e.tag = rng.choice([e.tag, "{http://graphml.graphdrawing.org/xmlns}node",
                                "{http://graphml.graphdrawing.org/xmlns}edge", "{http://graphml.graphdrawing.org/xmlns}data",
                                "{http://graphml.graphdrawing.org/xmlns}key", "{http://graphml.graphdrawing.org/xmlns}graph",
                                "hyperedge", "port", "default"])
        elems = list(root.iter())
    return ET.tostring(root, encoding="utf-8", xml_declaration=rng.random() < 0.8)


def structural(data: bytes, rng: random.Random, max_size: int, corpus: list[bytes] | None = None) -> bytes:
    """A mutation that knows what text, JSON and XML look like; bytes when nothing fits."""
    head = data[:64].lstrip()
    r = rng.random()
    if head.startswith(b"{") and r < 0.5:
        out = mutate_json(data, rng)
    elif head.startswith(b"<?xml") or head.startswith(b"<graphml") and r < 0.5:
        out = mutate_xml(data, rng)
    elif r < 0.08:
        out = reencode(data, rng)
    elif r < 0.45:
        out = mutate_lines(data, rng)
    else:
        out = mutate_bytes(data, rng, max_size, corpus)
    return out[:max_size]


def mutate_zip(data: bytes, rng: random.Random, max_size: int, inner: Callable[[bytes], bytes]) -> bytes:
    """Mutate one member of a zip (XLSX, bundle) and write the zip again; sometimes the zip's own bytes."""
    if rng.random() < 0.1:
        return inner(data)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            members = [(i.filename, z.read(i)) for i in z.infolist()]
    except Exception:  # noqa: BLE001 - the input may be anything; fall back to bytes
        return inner(data)
    if not members:
        return data
    op = rng.randrange(10)
    i = rng.randrange(len(members))
    name, body = members[i]
    if op == 0 and len(members) > 1:
        del members[i]
    elif op == 1:
        members.insert(rng.randrange(len(members) + 1), (name, body))  # a duplicate member name
    elif op == 2:
        members[i] = (rng.choice(["x/" + name, name.upper(), name + ".bak", "../" + name, "nodes.csv",
                                  "relationships.csv", "xl/worksheets/sheet2.xml"]), body)
    else:
        members[i] = (name, inner(body))
    out = io.BytesIO()
    compression = zipfile.ZIP_STORED if rng.random() < 0.3 else zipfile.ZIP_DEFLATED
    with warnings.catch_warnings(), zipfile.ZipFile(out, "w", compression) as z:
        warnings.simplefilter("ignore")  # a duplicate member name is one of the mutations
        for n, b in members:
            z.writestr(n, b)
    return out.getvalue()[:max_size] if rng.random() < 0.02 else out.getvalue()


