"""Readers and writers, chosen by file name or content.

``read_file(fp, name)`` detects the format; ``write_file(graph, fp, fmt)``
writes one. Formats: register CSV/XLSX, graph bundle (zip), GraphML,
node-link JSON.
"""
from __future__ import annotations

import io
from typing import BinaryIO

from ..errors import FormatError, Problem
from ..model import RopaGraph

WRITE_FORMATS = ("csv", "xlsx", "bundle", "json", "graphml")


def detect_format(data: bytes, name: str) -> str:
    """``register``, ``bundle``, ``graphml`` or ``json`` from the name and first bytes."""
    lower = name.lower()
    head = data[:512].lstrip()
    if lower.endswith(".graphml") or head.startswith(b"<?xml") or head.startswith(b"<graphml"):
        return "graphml"
    if lower.endswith(".json") or head.startswith(b"{"):
        return "json"
    if data[:4] == b"PK\x03\x04":
        import zipfile
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = {n.rsplit("/", 1)[-1] for n in z.namelist()}
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
            names = set()  # not a readable zip: the register reader says why
        if "nodes.csv" in names:
            return "bundle"
        return "register"  # XLSX is a zip too
    return "register"


def read_file(fp: BinaryIO, name: str) -> RopaGraph:
    """Read any supported file into a RopaGraph (all or nothing).

    >>> g = read_file(io.BytesIO(b"controller;activity\\nAcme;Payroll\\n"), "r.csv")
    >>> list(g.nodes["Activity"]["name"])
    ['Payroll']
    """
    data = fp.read()
    if not data:
        raise FormatError(Problem(name, None, None, None, "the file is empty"))
    kind = detect_format(data, name)
    buf = io.BytesIO(data)
    if kind == "graphml":
        from .graphio import read_graphml
        return read_graphml(buf, name)
    if kind == "json":
        from .graphio import read_node_link
        return read_node_link(buf, name)
    if kind == "bundle":
        from .graphio import read_bundle
        return read_bundle(buf, name)
    from .register import read_register
    return read_register(buf, name)


def read_path(path) -> RopaGraph:
    """Read a file by path; a folder, FIFO or device is refused before it is opened."""
    from ..files import read_input
    data = read_input(path)
    from pathlib import Path
    return read_file(io.BytesIO(data), Path(path).name)


def write_file(graph: RopaGraph, fp: BinaryIO, fmt: str) -> None:
    """Write ``graph`` in one of :data:`WRITE_FORMATS`."""
    if fmt in ("csv", "xlsx"):
        from .register import write_register
        write_register(graph, fp, fmt)
    elif fmt == "bundle":
        from .graphio import write_bundle
        write_bundle(graph, fp)
    elif fmt == "json":
        from .graphio import write_node_link
        write_node_link(graph, fp)
    elif fmt == "graphml":
        from .graphio import write_graphml
        write_graphml(graph, fp)
    else:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(WRITE_FORMATS)}")
