"""Revisions of the stored RoPA: who changed what, when and why, kept in the store itself.

Every change to a store made through :func:`commit` (an edit in the explorer, ``ropa import``, an
import of a notice, a revert, accepting drafts) writes the new RoPA and its revision in ONE write of
the store (``Backend.replace(..., revision=...)``): both land or neither does. A revision carries its
number, a UTC timestamp, the author, a required reason and the change itself: per table the records
added, removed and changed (before and after). The journal (``schema.REVISION``) lives beside the RoPA
but is not part of it: exports, fingerprints and the rule pack never see it.

Since a revision holds its whole change, the RoPA as it was before revision N is the current RoPA
with the changes of the revisions from the newest down to N undone (:func:`graph_before`); ``ropa
revert N`` writes that as a new revision.

Two writers who prepared their change on the same RoPA cannot both land: :func:`commit` takes the
revision number read when the change was prepared (``expected``) and refuses with
:class:`~ropa.errors.ConflictError` when the store has moved on (the check and the write happen under
the store's write lock on the embedded store, inside the write transaction on Neo4j).
"""
from __future__ import annotations

import datetime as dt
import getpass
import json
import os
from dataclasses import dataclass, field
from operator import itemgetter
from collections.abc import Mapping
from typing import Iterable

import pandas as pd

from .errors import BackendError, ConflictError, InputError, Problem
from .model import REL_KEY_COLUMNS, RopaGraph, _hashable_value, _json_records, _json_string, coerce, rel_key
from .schema import HOP_TYPES, NODE_TYPES, REL_TYPES

KINDS = ("edit", "import", "draft", "notice", "revert", "restore", "accept", "seed")


def default_author() -> str:
    """The OS user's name (the explorer's sidebar starts with it)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER") or "unknown"


PACKED = "zlib+base64:"


def pack_change(change: dict) -> str:
    """A revision's change as the store keeps it: sorted JSON, zlib-compressed and base64 text when that is
    smaller (an import's change lists every record it added: 4.0 MB of JSON on a 10k register, and every
    state of the embedded store carries the whole journal).

    >>> unpack_change(pack_change({"nodes/Activity": {"added": [{"id": "a"}] * 50}}))["nodes/Activity"]["added"][0]
    {'id': 'a'}
    >>> pack_change({})
    '{}'
    """
    return _packed_text(json.dumps(change, sort_keys=True))


def _packed_parts(parts: list[str]) -> str:
    """:func:`_packed_text` of the text ``"".join(parts)``, compressed a part at a time (deflate gives
    the same bytes however its input is split; tests/test_revisions.py holds it to that) without the
    text and its bytes made whole (450 MB each for an import of 1M relationships)."""
    import base64
    import zlib
    size = sum(map(len, parts))
    if size < 1 << 16:
        return _packed_text("".join(parts))
    z = zlib.compressobj(6)
    packed = PACKED + base64.b64encode(b"".join([z.compress(p.encode("utf-8")) for p in parts] + [z.flush()])
                                       ).decode("ascii")
    return packed if len(packed) < size else "".join(parts)


def _packed_text(text: str) -> str:
    """A change's JSON text as the store keeps it (:func:`pack_change`)."""
    import base64
    import zlib
    packed = PACKED + base64.b64encode(zlib.compress(text.encode("utf-8"), 6)).decode("ascii")
    return packed if len(packed) < len(text) else text


def unpack_change(text: str | None) -> dict:
    """The change :func:`pack_change` stored (plain JSON from revisions written before it is read as is)."""
    import base64
    import zlib
    if not text:
        return {}
    if text.startswith(PACKED):
        text = zlib.decompress(base64.b64decode(text[len(PACKED):])).decode("utf-8")
    return json.loads(text)


@dataclass(frozen=True)
class Revision:
    number: int
    at: str
    author: str
    reason: str
    kind: str
    summary: str
    controllers: str
    change: dict
    accepted: tuple[str, ...] = ()
    packed: str | None = field(default=None, compare=False, repr=False)  # pack_change(change), when known

    @classmethod
    def of_record(cls, rec: dict) -> "Revision":
        return cls(int(rec["number"]), rec.get("at") or "", rec.get("author") or "", rec.get("reason") or "",
                   rec.get("kind") or "", rec.get("summary") or "", rec.get("controllers") or "",
                   unpack_change(rec.get("change")), tuple(json.loads(rec.get("accepted") or "[]")))

    def record(self) -> dict:
        return {"id": f"r{self.number}", "number": self.number, "at": self.at, "author": self.author,
                "reason": self.reason, "kind": self.kind, "summary": self.summary,
                "controllers": self.controllers, "change": self.packed if self.packed is not None else pack_change(self.change),
                "accepted": json.dumps(list(self.accepted)) if self.accepted else None}

    @property
    def day(self) -> dt.date:
        return dt.date.fromisoformat(self.at[:10])

    def counts(self) -> tuple[int, int, int]:
        """(records added, removed, changed) over all tables."""
        a = sum(len(t.get("added", ())) for t in self.change.values())
        r = sum(len(t.get("removed", ())) for t in self.change.values())
        c = sum(len(t.get("changed", ())) for t in self.change.values())
        return a, r, c


# -- the change between two RoPAs --------------------------------------------------------------------
def _tables(graph: RopaGraph) -> dict[str, tuple[list[str], dict[tuple, dict]]]:
    """Every table of the RoPA as the store keeps it (resolved countries are reference data), each as
    (key columns, key -> plain record): the records and their order of ``graph.canonical()``, made a
    column at a time (an import's revision lists every record: canonical() spent 1.7 s of a 100k
    import's 8 s making a dict per row through pandas and a JSON text per relationship to sort by)."""
    out = {}
    for label, df in graph.nodes.items():
        if NODE_TYPES[label].reference and label != "Country":
            continue
        cols, values = _plain_columns(df)
        ids = values[cols.index("id")] if "id" in cols else [None] * len(df)
        order = sorted(range(len(df)), key=lambda k: str(ids[k]))
        recs = [dict(zip(cols, row)) for row in _rows(values, order)]
        if label == "Country":
            recs = [r for r in recs if r.get("resolved") is False]
        out[f"nodes/{label}"] = (["id"], {(r["id"],): r for r in recs})
    for rt, df in graph.rels.items():
        if REL_TYPES[rt].reference:
            continue
        cols, values = _plain_columns(df)
        texts, _ = _json_records(dict(zip(cols, values)))  # json.dumps(record, sort_keys=True), as canonical() sorts
        order = sorted(range(len(df)), key=texts.__getitem__)
        del texts
        key = rel_key(rt)
        recs = [dict(zip(cols, row)) for row in _rows(values, order)]
        out[f"rels/{rt}"] = (key, {tuple(r.get(k) for k in key): r for r in recs})
    return out


def _plain_columns(df: pd.DataFrame) -> tuple[list[str], list[list]]:
    """A table's column names and its columns as lists of plain values (``model._hashable_value``)."""
    cols = [str(c) for c in df.columns]
    plain = (str, int, bool, type(None))  # what _hashable_value gives back as it is
    return cols, [[v if type(v) in plain else _hashable_value(v) for v in df[c].tolist()] for c in df.columns]


def _rows(values: list[list], order: list[int]):
    """The rows of columns ``values`` in ``order``."""
    if not values:
        return ((),) * len(order)
    return zip(*([col[k] for k in order] for col in values))


def diff(before: RopaGraph, after: RopaGraph) -> dict:
    """Per table, the records ``after`` adds, removes and changes (``[before, after]``); tables without
    a difference are left out.

    >>> from ropa.samples import example_graph
    >>> g = example_graph()
    >>> diff(g, g)
    {}
    """
    return _change(before, after, packed=False)[0]


def diff_by_records(before: RopaGraph, after: RopaGraph) -> dict:
    """:func:`diff` as it was first written, a dict per row of both RoPAs (:func:`_tables`): what
    :func:`_change` falls back to when a table repeats a key, and its oracle in the tests."""
    b, a = _tables(before), _tables(after)
    out: dict = {}
    for name in sorted(set(b) | set(a)):
        _, old = b.get(name, ([], {}))
        _, new = a.get(name, ([], {}))
        added = [new[k] for k in sorted(new.keys() - old.keys(), key=str)]
        removed = [old[k] for k in sorted(old.keys() - new.keys(), key=str)]
        changed = [[old[k], new[k]] for k in sorted(old.keys() & new.keys(), key=str) if old[k] != new[k]]
        if added or removed or changed:
            out[name] = {"added": added, "removed": removed, "changed": changed}
    return out


def _keyed_columns(graph: RopaGraph) -> dict[str, tuple[list[str], list[list], list[tuple]]] | None:
    """Every table :func:`_tables` gives, as (column names, columns of plain values, each row's key),
    the rows of :func:`_tables` in no particular order; None when a table repeats a key (then which of
    the rows a key stands for is :func:`_tables`' choice)."""
    out = {}
    for label, df in graph.nodes.items():
        if NODE_TYPES[label].reference and label != "Country":
            continue
        cols, values = _plain_columns(df)
        if label == "Country":  # only the unresolved places are the RoPA's own
            flags = values[cols.index("resolved")] if "resolved" in cols else [None] * len(df)
            keep = [k for k, f in enumerate(flags) if f is False]
            values = [[col[k] for k in keep] for col in values]
        keys = list(zip(values[cols.index("id")])) if values else []
        out[f"nodes/{label}"] = (cols, values, keys)
    for rt, df in graph.rels.items():
        if REL_TYPES[rt].reference:
            continue
        cols, values = _plain_columns(df)
        n = len(df)
        keys = list(zip(*(values[cols.index(k)] if k in cols else [None] * n for k in rel_key(rt))))
        out[f"rels/{rt}"] = (cols, values, keys)
    for cols, _, keys in out.values():
        if len(set(keys)) != len(keys):
            return None
    return out


def _change(before: RopaGraph, after: RopaGraph, packed: bool = True) -> tuple[dict, str | None]:
    """(:func:`diff`, and with ``packed`` the change as :func:`pack_change` packs it), a column at a time.

    The same change as :func:`diff_by_records`, made without a dict per row of either RoPA: the rows
    are matched by their keys, compared column by column, and only the records added, removed or
    changed become dicts. Their JSON texts are made a column at a time too (each distinct value of a
    column encoded once) and put together as ``json.dumps(change, sort_keys=True)`` writes them: at 1M
    relationships an import's revision took 9.5 s for the diff and 8 s for the JSON of its change."""
    change, text, _ = _change_of(before, after, packed)
    return dict(change), text


class _Change(Mapping):
    """A revision's change whose records become dicts when it is first read (an import's revision is
    packed from the columns and its change seldom read afterwards: 684k records at 1M relationships)."""

    def __init__(self, make):
        self._make, self._made = make, None

    def _dict(self) -> dict:
        if self._made is None:
            self._made, self._make = self._make(), None
        return self._made

    def __getitem__(self, name):
        return self._dict()[name]

    def __iter__(self):
        return iter(self._dict())

    def __len__(self) -> int:
        return len(self._dict())

    def __repr__(self) -> str:
        return repr(self._dict())


def _change_of(before: RopaGraph, after: RopaGraph, packed: bool = True):
    """(the change as a mapping whose records are made when read, its packed text or None, and
    (:func:`summarise`'s line, the activities it touches) as :func:`controllers_of` finds them)."""
    b, a = _keyed_columns(before), _keyed_columns(after)
    if b is None or a is None:
        change = diff_by_records(before, after)
        return change, (pack_change(change) if packed else None), (summarise(change), _touched(change))
    spans: dict = {}
    parts: list[str] = []
    touched: set = set()
    for name in sorted(set(b) | set(a)):
        cols_o, vals_o, keys_o = b.get(name, ([], [], []))
        cols_n, vals_n, keys_n = a.get(name, ([], [], []))
        at_o = dict(zip(keys_o, range(len(keys_o))))
        at_n = dict(zip(keys_n, range(len(keys_n))))
        added = [at_n[k] for k in sorted([k for k in keys_n if k not in at_o], key=str)]
        removed = [at_o[k] for k in sorted([k for k in keys_o if k not in at_n], key=str)]
        common = sorted([k for k in keys_n if k in at_o], key=str)
        old_rows, new_rows = [at_o[k] for k in common], [at_n[k] for k in common]
        differs = _rows_differ(cols_o, vals_o, old_rows, cols_n, vals_n, new_rows)
        old_rows = [i for i, d in zip(old_rows, differs) if d]
        new_rows = [j for j, d in zip(new_rows, differs) if d]
        if not (added or removed or old_rows):
            continue
        spans[name] = (cols_n, vals_n, added, new_rows, cols_o, vals_o, removed, old_rows)
        touched |= _touched_rows(name, cols_n, vals_n, added + new_rows)
        touched |= _touched_rows(name, cols_o, vals_o, removed + old_rows)
        if packed:
            texts_n = _record_texts(cols_n, vals_n, added + new_rows)
            texts_o = _record_texts(cols_o, vals_o, removed + old_rows)
            changed = ", ".join(map("[%s, %s]".__mod__, zip(texts_o[len(removed):], texts_n[len(added):])))
            parts += [", " if parts else "", _json_string(name), ': {"added": [', ", ".join(texts_n[:len(added)]),
                      '], "changed": [', changed, '], "removed": [', ", ".join(texts_o[:len(removed)]), "]}"]
            del texts_n, texts_o
    counts = {name: {"added": range(len(s[2])), "removed": range(len(s[6])), "changed": range(len(s[7]))}
              for name, s in spans.items()}

    def make() -> dict:
        out = {}
        for name, (cols_n, vals_n, added, new_rows, cols_o, vals_o, removed, old_rows) in spans.items():
            recs_n = [dict(zip(cols_n, row)) for row in _rows(vals_n, added + new_rows)]
            recs_o = [dict(zip(cols_o, row)) for row in _rows(vals_o, removed + old_rows)]
            out[name] = {"added": recs_n[:len(added)], "removed": recs_o[:len(removed)],
                         "changed": [list(pair) for pair in zip(recs_o[len(removed):], recs_n[len(added):])]}
        return out
    text = _packed_parts(["{", *parts, "}"]) if packed else None
    return _Change(make), text, (summarise(counts), touched)


def _touched_rows(name: str, cols: list[str], values: list[list], rows: list[int]) -> set:
    """The activities the records at ``rows`` of table ``name`` touch, as :func:`_touched` finds them."""
    def column(c):
        return values[cols.index(c)] if c in cols else None

    def at(c):
        col = column(c)
        return [None] * len(rows) if col is None else [col[k] for k in rows]
    if name == "nodes/Activity":
        return set(at("id"))
    if name.split("/", 1)[1] in HOP_TYPES:
        return set(at("activity"))
    out = set()
    for src_label, src, dst_label, dst in zip(at("src_label"), at("src"), at("dst_label"), at("dst")):
        if src_label == "Activity":
            out.add(src)
        elif dst_label == "Activity" and name == "rels/CONTROLS":
            out.add(dst)
    return out


def _rows_differ(cols_o: list[str], vals_o: list[list], rows_o: list[int],
                 cols_n: list[str], vals_n: list[list], rows_n: list[int]) -> list[bool]:
    """For each pair (rows_o[p], rows_n[p]): whether the two records differ as dicts do (other
    columns, or a value neither the same object nor equal)."""
    if set(cols_o) != set(cols_n):
        return [True] * len(rows_o)
    differs = [False] * len(rows_o)
    for c, old in zip(cols_o, vals_o):
        new = vals_n[cols_n.index(c)]
        for p, (i, j) in enumerate(zip(rows_o, rows_n)):
            x, y = old[i], new[j]
            if x is not y and x != y:
                differs[p] = True
    return differs


_TEXTS, _FLAGS, _NUMBERS = {str, type(None)}, {bool, type(None)}, {int, type(None)}


def _value_text(v) -> str:
    """A plain value as ``json.dumps(v, sort_keys=True)`` writes it."""
    t = type(v)
    if t is str:
        return _json_string(v)
    if v is None:
        return "null"
    if t is bool:
        return "true" if v else "false"
    if t is int:
        return int.__repr__(v)
    return json.dumps(v, sort_keys=True)


def _record_texts(cols: list[str], values: list[list], rows: list[int]) -> list[str]:
    """``json.dumps(record, sort_keys=True)`` of the records at ``rows`` (the dicts of ``cols`` and
    their plain values), each distinct value of a column encoded once."""
    if not rows:
        return []
    if not cols:
        return ["{}"] * len(rows)
    pick = itemgetter(*rows) if len(rows) > 1 else (lambda col: (col[rows[0]],))
    encoded = []
    for key in sorted(cols):
        column = pick(values[cols.index(key)])
        kinds = set(map(type, column))
        if kinds <= _TEXTS or kinds <= _FLAGS or kinds <= _NUMBERS:  # values of one kind: a dict of their texts
            known = {v: _value_text(v) for v in set(column)}
            encoded.append(map(known.__getitem__, column))
        else:  # True == 1 as a dict key: mixed kinds are encoded one by one
            encoded.append(map(_value_text, column))
    template = "{" + ", ".join(_json_string(k).replace("%", "%%") + ": %s" for k in sorted(cols)) + "}"
    return list(map(template.__mod__, zip(*encoded)))


def undo(graph: RopaGraph, change: dict) -> RopaGraph:
    """``graph`` with ``change`` undone: what it added removed, what it removed back, changes reversed."""
    return _graph_of(_undo_tables(_tables(graph), change))


def _undo_tables(tables: dict, change: dict) -> dict:
    """:func:`undo` on the tables of :func:`_tables` (so a run of revisions is undone without building a
    RopaGraph and its canonical form between each: 20 edits back on a 10k register took 47 s that way)."""
    for name, part in change.items():
        key_cols, recs = tables.get(name) or ((["id"] if name.startswith("nodes/") else
                                               rel_key(name.split("/", 1)[1])), {})
        recs = dict(recs)
        for r in part.get("added", ()):
            recs.pop(tuple(r.get(k) for k in key_cols), None)
        for r in part.get("removed", ()):
            recs[tuple(r.get(k) for k in key_cols)] = r
        for old, new in part.get("changed", ()):
            recs.pop(tuple(new.get(k) for k in key_cols), None)
            recs[tuple(old.get(k) for k in key_cols)] = old
        tables[name] = (key_cols, recs)
    return tables


def _graph_of(tables: dict) -> RopaGraph:
    nodes: dict[str, list[dict]] = {}
    rels: dict[str, list[dict]] = {}
    for name, (_, recs) in tables.items():
        part, t = name.split("/", 1)
        if part == "nodes":
            props = NODE_TYPES[t].properties
            nodes[t] = [{c: coerce(r.get(c), kind) for c, kind in props} for r in recs.values()]
        else:
            props = REL_TYPES[t].properties
            rels[t] = [{**{c: r.get(c) for c in REL_KEY_COLUMNS},
                        **{c: coerce(r.get(c), kind) for c, kind in props}} for r in recs.values()]
    return RopaGraph.from_records(nodes, rels)


def summarise(change: dict) -> str:
    """One line: "DISCLOSES_TO: 1 changed; Organisation: 2 added"."""
    parts = []
    for name, part in change.items():
        bits = [f"{len(part[k])} {k}" for k in ("added", "removed", "changed") if part.get(k)]
        parts.append(f"{name.split('/', 1)[1]}: " + ", ".join(bits))
    return "; ".join(parts) or "no change to the records"


def controllers_of(change: dict, graphs: Iterable[RopaGraph]) -> list[str]:
    """Names of the controllers whose records ``change`` touches (activities, their hops and links).

    The activities are gathered first, each looked up once (an import's change lists every hop: 684k
    records, of 25k activities, at 1M relationships)."""
    return _controllers(_touched(change), graphs)


def _touched(change: dict) -> set:
    """The activities whose records ``change`` touches (an activity, its hops, its links)."""
    touched: set = set()
    for name, part in change.items():
        recs = list(part.get("added", ())) + list(part.get("removed", ()))
        recs += [r for pair in part.get("changed", ()) for r in pair]
        if name == "nodes/Activity":
            touched.update(r.get("id") for r in recs)
        elif name.split("/", 1)[1] in HOP_TYPES:
            touched.update(r.get("activity") for r in recs)
        else:
            for r in recs:
                if r.get("src_label") == "Activity":
                    touched.add(r.get("src"))
                elif r.get("dst_label") == "Activity" and name == "rels/CONTROLS":
                    touched.add(r.get("dst"))
    return touched


def _controllers(touched: set, graphs: Iterable[RopaGraph]) -> list[str]:
    """The names of the controllers of the activities ``touched``."""
    activity_ctl: dict[str, str] = {}
    names: dict[str, str] = {}
    for g in graphs:
        acts, orgs = g.nodes["Activity"], g.nodes["Organisation"]
        activity_ctl.update(zip(acts["id"].tolist(), acts["controller"].tolist()))
        names.update(zip(orgs["id"].tolist(), orgs["name"].tolist()))
    found: set[str] = set()
    for act in touched:
        if act and activity_ctl.get(act):
            ctl = activity_ctl[act]
            found.add(names.get(ctl) or ctl)
    return sorted(found)


def controllers_by_record(change: dict, graphs: Iterable[RopaGraph]) -> list[str]:
    """:func:`controllers_of` as it was first written, a look-up per record: its oracle in the tests."""
    activity_ctl: dict[str, str] = {}
    names: dict[str, str] = {}
    for g in graphs:
        for rec in g.nodes["Activity"][["id", "controller"]].itertuples(index=False):
            activity_ctl[rec.id] = rec.controller
        for rec in g.nodes["Organisation"][["id", "name"]].itertuples(index=False):
            names[rec.id] = rec.name
    found: set[str] = set()
    for name, part in change.items():
        recs = list(part.get("added", ())) + list(part.get("removed", ()))
        recs += [r for pair in part.get("changed", ()) for r in pair]
        for r in recs:
            act = None
            if name == "nodes/Activity":
                act = r.get("id")
            elif name.split("/", 1)[1] in HOP_TYPES:
                act = r.get("activity")
            elif r.get("src_label") == "Activity":
                act = r.get("src")
            elif r.get("dst_label") == "Activity" and name == "rels/CONTROLS":
                act = r.get("dst")
            if act and activity_ctl.get(act):
                ctl = activity_ctl[act]
                found.add(names.get(ctl) or ctl)
    return sorted(found)


# -- reading and writing the journal ---------------------------------------------------------------
def history(store) -> list[Revision]:
    """The store's revisions, oldest first."""
    return [Revision.of_record(r) for r in store.revisions()]


def head(store) -> int:
    """The number of the newest revision (0 when there is none): read it when a change is prepared."""
    revs = store.revisions()
    return int(revs[-1]["number"]) if revs else 0


def _required(author: str, reason: str, page: str) -> tuple[str, str]:
    problems = []
    author, reason = " ".join((author or "").split()), " ".join((reason or "").split())
    if not author:
        problems.append(Problem(page, None, "author", author, "say who makes the change (a name)", axis="field"))
    if not reason:
        problems.append(Problem(page, None, "reason", reason, "a reason is required for every change", axis="field"))
    if len(reason) > 500:
        problems.append(Problem(page, None, "reason", reason, "keep the reason under 500 characters", axis="field"))
    if problems:
        raise InputError(problems)
    return author, reason


def commit(store, graph: RopaGraph, *, author: str, reason: str, kind: str = "edit",
           expected: int | None = None, progress=None, origin: str | None = None,
           before: RopaGraph | None = None, page: str = "change", accepted: Iterable[str] = ()) -> Revision:
    """Make ``graph`` the stored RoPA and record it as a revision, in one write (all or nothing).

    ``expected``: the revision number read when the change was prepared (:func:`head`); when the store
    has a newer one, nothing is written and :class:`ConflictError` says to reload. Call it on a store
    opened for writing (on the embedded store the writer's lock makes the check and the write one step).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown revision kind {kind!r}")
    author, reason = _required(author, reason, page)
    current = head(store)
    if expected is not None and current != expected:
        raise ConflictError(f"the RoPA was changed meanwhile (revision {current}, you started from "
                            f"{expected}): nothing was written; reload and make your change again")
    before = store.export() if before is None else before
    from .findings import paused_gc
    with paused_gc():  # a million records made and walked: the collector would walk them again and again
        change, packed, (summary, touched) = _change_of(before, graph)
        rev = Revision(current + 1, dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
                       author, reason, kind, summary, "; ".join(_controllers(touched, (before, graph))),
                       change, tuple(accepted), packed)
    store.replace(graph, progress, origin=origin or f"revision {rev.number} ({kind}) by {author}: {reason}",
                  revision=rev.record())
    return rev


def find(store, number: int) -> tuple[Revision, list[Revision]]:
    """Revision ``number`` and the whole journal; a clear error when there is none."""
    revs = history(store)
    for r in revs:
        if r.number == number:
            return r, revs
    have = f"1 to {revs[-1].number}" if revs else "none yet"
    raise BackendError(f"there is no revision {number} (revisions: {have}; see `ropa history`)")


def _undone(store, number: int, current: RopaGraph | None, keep_number: bool) -> RopaGraph:
    rev, revs = find(store, number)
    later = [r for r in revs if r.number > number or (r.number == number and not keep_number)]
    if not later:
        return store.export() if current is None else current
    tables = _tables(store.export() if current is None else current)
    for r in reversed(later):
        tables = _undo_tables(tables, r.change)
    return _graph_of(tables)


def graph_before(store, number: int, current: RopaGraph | None = None) -> RopaGraph:
    """The RoPA as it was just before revision ``number``."""
    return _undone(store, number, current, keep_number=False)


def graph_after(store, number: int, current: RopaGraph | None = None) -> RopaGraph:
    """The RoPA as revision ``number`` left it."""
    return _undone(store, number, current, keep_number=True)


def revert(store, number: int, *, author: str, reason: str, expected: int | None = None) -> Revision:
    """Make the RoPA what it was before revision ``number``, as a new revision (so it can be undone too)."""
    current = store.export()
    target = graph_before(store, number, current)
    _, revs = find(store, number)
    reopened = [k for r in revs if r.number >= number and r.kind == "accept" for k in r.accepted]
    return commit(store, target, author=author, reason=reason, kind="revert", expected=expected,
                  before=current, origin=f"revert of revision {number}", accepted=reopened)


def restore_state(store, number: int, *, author: str, reason: str,
                  expected: int | None = None) -> tuple[Revision | None, object]:
    """Make the RoPA of the embedded store's state ``number`` current again (``ropa store restore N``) as
    a new revision of kind ``restore``: the journal is append-only, so the revisions made since that
    state stay listed and the restore itself can be reverted. Returns (the revision, or None when state
    ``number`` is the current one already; the state's entry in ``ropa store history``)."""
    info, graph = store.state(number)
    if info.current:
        return None, info
    commit(store, graph, author=author, reason=reason, kind="restore", expected=expected,
           origin=f"restore of state {number} ({info.what})", page="ropa store restore")
    rev = history(store)[-1]
    return rev, store.history()[-1]


# -- drafts awaiting review ---------------------------------------------------------------------------
# A notice import (kind "notice") and an import marked "needs review" (kind "draft": `ropa import
# --needs-review`, the Import page's box) draft records: the activities they add and the recipient hops
# they add or change. Those are drafts until an accept revision names them (its `accepted` list); a revert
# of an accept names in its own `accepted` list the drafts it opens again. Until accepted, drafts are kept
# apart: :func:`reviewed_graph` is the RoPA without them (the Art. 30 record, the report, the findings).
DRAFT_KINDS = ("notice", "draft")


def hop_text(rel_type: str, rec: dict) -> str:
    """A hop's key as text: "TYPE|src|dst|activity" (as :class:`ropa.edits.HopKey` writes it)."""
    return "|".join((rel_type, str(rec.get("src")), str(rec.get("dst")), str(rec.get("activity"))))


def activity_text(activity_id: str) -> str:
    """A drafted activity's key as text: "Activity|id"."""
    return f"Activity|{activity_id}"


def _drafted(revs: list[Revision]) -> dict[str, tuple[int, dict | None]]:
    """Key text -> (the revision that drafted it, the hop as it was before a draft changed it, or None)."""
    pending: dict[str, tuple[int, dict | None]] = {}
    for r in revs:
        if r.kind in DRAFT_KINDS:
            for rec in r.change.get("nodes/Activity", {}).get("added", ()):
                pending[activity_text(rec["id"])] = (r.number, None)
            for rt in HOP_TYPES:
                part = r.change.get(f"rels/{rt}", {})
                for rec in part.get("added", ()):
                    pending[hop_text(rt, rec)] = (r.number, None)
                for old, new in part.get("changed", ()):
                    key = hop_text(rt, new)
                    pending[key] = (r.number, pending[key][1] if key in pending else old)
        if r.kind == "accept":
            for key in r.accepted:
                pending.pop(key, None)
        if r.kind == "revert":  # an accept undone: what it accepted is a draft again (kept in `accepted`)
            for key in r.accepted:
                pending.setdefault(key, (r.number, None))
    return pending


def drafts(revs: list[Revision], graph: RopaGraph) -> dict[str, int]:
    """The activities and hops that a notice import or an import marked "needs review" drafted, that nobody
    has accepted yet and that are still in ``graph``: key text -> the revision that drafted it."""
    pending = _drafted(revs)
    if not pending:
        return {}
    present = {hop_text(rt, rec) for rt in HOP_TYPES for rec in graph.rels[rt].to_dict("records")}
    present |= {activity_text(a) for a in graph.nodes["Activity"]["id"]}
    return {k: n for k, (n, _) in pending.items() if k in present}


def reviewed_graph(revs: list[Revision], graph: RopaGraph) -> tuple[RopaGraph, int]:
    """``graph`` without the drafts awaiting review (a hop a draft changed is as it was before), and how
    many drafts were left out: what the Art. 30 record, the report and the findings are built from."""
    from . import edits
    pending = _drafted(revs)
    waiting = drafts(revs, graph)
    if not waiting:
        return graph, 0
    out = graph
    for key in waiting:
        if key.startswith("Activity|"):
            out = edits.remove_activity(out, key.split("|", 1)[1])
    for key in waiting:
        if key.startswith("Activity|"):
            continue
        hop = edits.HopKey.from_text(key)
        df = out.rels[hop.rel_type]
        hit = (df["src"] == hop.src) & (df["dst"] == hop.dst) & (df["activity"] == hop.activity)
        if not hit.any():
            continue  # it went with a drafted activity
        old = pending[key][1]
        rels = dict(out.rels)
        if old is None:
            rels[hop.rel_type] = df[~hit].reset_index(drop=True)
        else:
            df = df.copy()
            i = df.index[hit][0]
            for c, v in old.items():
                if c in df.columns:
                    df.at[i, c] = v
            rels[hop.rel_type] = df
        out = RopaGraph(dict(out.nodes), rels, [])
    return out, len(waiting)


def reviewed_store(store):
    """(a store holding the RoPA without its drafts awaiting review, how many were left out): ``store``
    itself when there are none, else an in-memory store the caller closes (``close()``) when done."""
    if not has_drafts(store):
        return store, 0
    graph, left_out = reviewed_graph(history(store), store.export())
    if not left_out:
        return store, 0
    from .backends.embedded import EmbeddedBackend
    mem = EmbeddedBackend(":memory:")
    try:
        mem.replace(graph)
    except BaseException:
        mem.close()
        raise
    return mem, left_out


def has_drafts(store) -> bool:
    """True when a draft was ever recorded (a cheap check before :func:`drafts` reads the RoPA)."""
    try:
        return bool(store.run("MATCH (r:Revision) WHERE r.kind IN $kinds RETURN count(r) AS n",
                              {"kinds": list(DRAFT_KINDS)})[0]["n"])
    except BackendError:
        return False  # a store without a journal


def accept(store, keys: Iterable[str], *, author: str, reason: str, expected: int | None = None) -> Revision:
    """Accept drafts (a revision of kind ``accept``; the RoPA itself does not change)."""
    keys = list(keys)
    current = store.export()
    waiting = drafts(history(store), current)
    unknown = [k for k in keys if k not in waiting]
    if not keys or unknown:
        raise InputError(Problem("Record page", None, "drafts", "; ".join(unknown) or "",
                                 "choose drafts that await review", axis="field"))
    return commit(store, current, author=author, reason=reason, kind="accept", expected=expected,
                  before=current, accepted=keys, origin=f"accept {len(keys)} draft(s)")


# -- the findings a revision added and resolved -------------------------------------------------------
def findings_of(graph: RopaGraph, as_of: dt.date) -> list:
    """The rule pack's findings on ``graph`` (an in-memory store)."""
    from .backends.embedded import EmbeddedBackend
    from .rules import evaluate
    with EmbeddedBackend(":memory:") as mem:
        mem.replace(graph)
        return evaluate(mem, as_of)


def finding_delta(before: RopaGraph, after: RopaGraph, as_of: dt.date) -> tuple[list, list]:
    """(findings ``after`` has that ``before`` had not, findings ``before`` had that ``after`` has not)."""
    old = {f.identity: f for f in findings_of(before, as_of)}
    new = {f.identity: f for f in findings_of(after, as_of)}
    return ([new[k] for k in new if k not in old], [old[k] for k in old if k not in new])


def revision_findings(store, number: int, as_of: dt.date) -> tuple[list, list]:
    """The findings revision ``number`` added and resolved, as of ``as_of``."""
    current = store.export()
    after = graph_after(store, number, current)
    before = graph_before(store, number, current)
    return finding_delta(before, after, as_of)


def frame(revs: Iterable[Revision]) -> pd.DataFrame:
    """The audit log as a table (the History page, its CSV/XLSX export, ``ropa history --format csv``)."""
    rows = []
    for r in revs:
        a, rm, c = r.counts()
        rows.append({"revision": r.number, "at (UTC)": r.at, "author": r.author, "kind": r.kind,
                     "reason": r.reason, "controllers": r.controllers, "added": a, "removed": rm,
                     "changed": c, "summary": r.summary + (f"; {'reopened' if r.kind == 'revert' else 'accepted'} "
                                                           f"{len(r.accepted)} draft(s)" if r.accepted else "")})
    return pd.DataFrame(rows, columns=["revision", "at (UTC)", "author", "kind", "reason", "controllers",
                                       "added", "removed", "changed", "summary"])
