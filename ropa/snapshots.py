"""Snapshots: the stored RoPA and its findings as of a date, kept to diff against later.

A snapshot is one zip file, ``<dir>/<name>.zip``: a graph bundle (``nodes.csv`` and
``relationships.csv``, the same format ``ropa export --format bundle`` writes, so a
snapshot can be imported again) plus ``snapshot.json`` with the name, the date
it was evaluated as of, the rule pack version, the data fingerprint and the
findings. The directory is ``$ROPA_SNAPSHOTS`` or ``.ropa/snapshots``.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import zipfile
from dataclasses import MISSING, dataclass, field
from pathlib import Path

from . import __version__
from .errors import InputError, Problem
from .files import write_atomically
from .findings import Finding
from .model import RopaGraph

DEFAULT_DIR = Path(".ropa") / "snapshots"
MANIFEST = "snapshot.json"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def snapshot_dir(override: str | Path | None = None) -> Path:
    """``override``, else ``$ROPA_SNAPSHOTS``, else ``.ropa/snapshots``."""
    return Path(override or os.environ.get("ROPA_SNAPSHOTS") or DEFAULT_DIR)


@dataclass
class Snapshot:
    """A saved RoPA with its findings. ``graph`` is read only when asked for."""

    name: str
    created: str
    as_of: dt.date
    source: str
    fingerprint: str
    rule_pack_version: str
    findings: list[Finding]
    path: Path | None = None
    tool_version: str = ""
    _graph: RopaGraph | None = field(default=None, repr=False)

    @property
    def graph(self) -> RopaGraph:
        if self._graph is None:
            from .formats.graphio import read_bundle
            with open(self.path, "rb") as fp:
                self._graph = read_bundle(fp, self.path.name)
        return self._graph


def check_name(name: str) -> str:
    """A snapshot name: letters, digits, ``.``, ``_``, ``-``; at most 64 characters.

    >>> check_name("2026-Q4")
    '2026-Q4'
    >>> check_name("../x")
    Traceback (most recent call last):
    ...
    ropa.errors.InputError: <input>, column 'NAME', value '../x': a snapshot name uses letters, digits, '.', '_' and '-' (at most 64, not starting with '.')
    """
    if not NAME_RE.match(name or ""):
        raise InputError(Problem(None, None, "NAME", name, "a snapshot name uses letters, digits, '.', '_' and '-' "
                                 "(at most 64, not starting with '.')"))
    return name


def save_snapshot(graph: RopaGraph, findings: list[Finding], name: str, as_of: dt.date, *,
                  source: str = "", rule_pack_version: str = "", directory: str | Path | None = None,
                  overwrite: bool = False) -> Snapshot:
    """Write a snapshot of ``graph`` and its ``findings`` (evaluated as of ``as_of``).

    The file appears whole or not at all; an existing name is refused unless
    ``overwrite``.
    """
    from .formats.graphio import write_bundle
    check_name(name)
    d = snapshot_dir(directory)
    target = d / f"{name}.zip"
    if target.exists() and not overwrite:
        raise InputError(Problem(str(target), None, "NAME", name,
                                 "a snapshot of that name exists; choose another name or overwrite it (--force)"))
    snap = Snapshot(name=name, created=dt.datetime.now().replace(microsecond=0).isoformat(), as_of=as_of,
                    source=source, fingerprint=graph.fingerprint()[:12], rule_pack_version=rule_pack_version,
                    findings=list(findings), path=target, tool_version=__version__, _graph=graph)
    manifest = {
        "name": name, "created": snap.created, "as_of": as_of.isoformat(), "source": source,
        "fingerprint": snap.fingerprint, "rule_pack_version": rule_pack_version, "tool_version": __version__,
        "findings": [f.to_dict() for f in findings],
    }
    buf = io.BytesIO()
    write_bundle(graph, buf)
    with zipfile.ZipFile(buf, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1, default=str))
    d.mkdir(parents=True, exist_ok=True)
    write_atomically(target, lambda fp: fp.write(buf.getvalue()), "NAME")
    return snap


def _read_manifest(path: Path) -> dict:
    try:
        with zipfile.ZipFile(path) as z:
            return json.loads(z.read(MANIFEST).decode("utf-8"))
    except RecursionError as exc:
        raise InputError(Problem(str(path), None, None, None, "not a readable snapshot (nested too deeply)")) from exc
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
        raise InputError(Problem(str(path), None, None, None, f"not a readable snapshot ({exc})")) from exc


def _from_manifest(m: dict, path: Path) -> Snapshot:
    """The snapshot a manifest describes; a manifest that is not what we write is an InputError
    naming the file, the field (``findings[3].severity``) and its value."""
    where = f"{path}/{MANIFEST}"

    def bad(column, value, message):
        return InputError(Problem(where, None, column, _shown(value), f"not a readable snapshot: {message}"))

    if not isinstance(m, dict):
        raise bad(None, type(m).__name__, "expected a JSON object")
    try:
        as_of = dt.date.fromisoformat(m["as_of"])
    except KeyError:
        raise bad("as_of", None, "the date it was evaluated as of is missing") from None
    except (TypeError, ValueError):
        raise bad("as_of", m["as_of"], "not a date (YYYY-MM-DD)") from None
    texts = {}
    for k in ("name", "created", "source", "fingerprint", "rule_pack_version", "tool_version"):
        v = m.get(k)
        if v is not None and not isinstance(v, str):
            raise bad(k, v, "expected text")
        texts[k] = v or ""
    listed = m.get("findings", [])
    if not isinstance(listed, list):
        raise bad("findings", type(listed).__name__, "expected a list of findings")
    fields = Finding.__dataclass_fields__
    required = [k for k, f in fields.items() if f.default is MISSING and f.default_factory is MISSING]
    findings = []
    for i, f in enumerate(listed):
        if not isinstance(f, dict):
            raise bad(f"findings[{i}]", type(f).__name__, "expected an object")
        lacking = [k for k in required if k not in f]
        if lacking:
            raise bad(f"findings[{i}].{lacking[0]}", None, "missing")
        for k, v in f.items():
            kind = str(fields[k].type) if k in fields else ""
            ok = (v is None or isinstance(v, str) if kind == "str" else
                  isinstance(v, list) and all(isinstance(x, str) for x in v) if kind.startswith("list") else
                  v is None or (isinstance(v, int) and not isinstance(v, bool)) if kind.startswith("int") else True)
            if not ok:
                raise bad(f"findings[{i}].{k}", v, f"expected {kind.replace('list[str]', 'a list of text')}")
        findings.append(Finding(**{k: v for k, v in f.items() if k in fields}))
    return Snapshot(name=texts["name"] or path.stem, created=texts["created"], as_of=as_of,
                    source=texts["source"], fingerprint=texts["fingerprint"],
                    rule_pack_version=texts["rule_pack_version"], findings=findings, path=path,
                    tool_version=texts["tool_version"])


def _shown(value) -> object:
    return type(value).__name__ if isinstance(value, (dict, list)) else value


def list_snapshots(directory: str | Path | None = None, unreadable: list[Problem] | None = None) -> list[Snapshot]:
    """The snapshots in the directory, oldest first.

    Unreadable files are left out of the list; pass ``unreadable`` to be told which and why.
    """
    d = snapshot_dir(directory)
    out = []
    for p in sorted(d.glob("*.zip")) if d.is_dir() else []:
        try:
            out.append(_from_manifest(_read_manifest(p), p))
        except InputError as exc:
            if unreadable is not None:
                unreadable += [Problem(x.file, x.row, x.column, x.value, x.message, "warning") for x in exc.problems]
    return sorted(out, key=lambda s: (s.created, s.name))


def load_snapshot(name: str, directory: str | Path | None = None) -> Snapshot:
    """A snapshot by name (in the directory) or by the path of its zip file."""
    p = Path(name)
    if not (p.suffix == ".zip" and p.is_file()):
        check_name(name)
        p = snapshot_dir(directory) / f"{name}.zip"
        if not p.is_file():
            known = ", ".join(s.name for s in list_snapshots(directory)) or "none yet (ropa snapshot save NAME)"
            raise InputError(Problem(str(p.parent), None, "SNAPSHOT", name, f"no such snapshot; known: {known}"))
    return _from_manifest(_read_manifest(p), p)
