"""Where a piece of evidence comes from, as a reader can follow it: the document's title, its file name or
URL, and the place of the quote in it (section, line, characters), instead of an opaque document id.

A notice import keeps these (``Document.title`` / ``Document.location``, the hops' ``evidence_at``; register
columns ``source_title``, ``source_location``, ``evidence_at``). A store or file without them - written before,
or a register that does not say - is cited as before: the document id and the row.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

QUERIES = Path(__file__).resolve().parent / "report" / "queries"


@dataclass
class Provenance:
    """The documents of a store (id -> (title, location)) and the quotes' places ((document id, row) -> place)."""

    documents: dict[str, tuple[str, str]] = field(default_factory=dict)
    places: dict[tuple[str, int], str] = field(default_factory=dict)

    def document(self, source: str | None) -> str:
        """A document as a reader names it: “title” (file or URL); the id when neither is known.

        >>> p = Provenance({"notice:a.html": ("Privacy at Acme", "a.html"), "r.csv": ("", "")})
        >>> p.document("notice:a.html"), p.document("r.csv"), p.document("")
        ('“Privacy at Acme” (a.html)', 'r.csv', '')
        """
        if not source:
            return ""
        title, location = self.documents.get(source, ("", ""))
        if title and location:
            return f"“{title}” ({location})"
        if title:
            return f"“{title}”"
        return location or source

    def place(self, source: str | None, row) -> str:
        """Where the quote of (source, row) stands in its document, or ""."""
        if not source or row is None or row != row:
            return ""
        return self.places.get((source, int(row)), "")

    def cite(self, source: str | None, row=None, at: str | None = None) -> str:
        """The whole citation: the document, then the quote's place (``at``, else looked up by row); the row
        number only when no place is known (in a notice import the row is the draft's, not the notice's).

        >>> p = Provenance({"notice:a.html": ("Privacy at Acme", "a.html")},
        ...                {("notice:a.html", 3): "section “Recipients”, line 12, characters 340–410"})
        >>> p.cite("notice:a.html", 3)
        '“Privacy at Acme” (a.html), section “Recipients”, line 12, characters 340–410'
        >>> p.cite("seed:004", 77)
        'seed:004, row 77'
        """
        doc = self.document(source)
        if not doc:
            return ""
        where = at or self.place(source, row)
        if where:
            return f"{doc}, {where}"
        return f"{doc}, row {int(row)}" if row is not None and row == row else doc


    def merged(self, other: "Provenance") -> "Provenance":
        """Both stores' documents and places, ``other``'s where both know one (a document id names one document).

        >>> a = Provenance({"d1": ("Old", "a.html")}, {("d1", 2): "line 2"})
        >>> b = Provenance({"d2": ("New", "b.html")})
        >>> m = a.merged(b)
        >>> m.cite("d1", 2), m.cite("d2", 5)
        ('“Old” (a.html), line 2', '“New” (b.html), row 5')
        """
        return Provenance({**self.documents, **other.documents}, {**self.places, **other.places})


def cell_text(v) -> str:
    """A stored value as text: "" for a missing one (None or NaN)."""
    return "" if v is None or v != v else str(v)


def graph_provenance(graph) -> Provenance:
    """The documents and quote places of a RoPA in memory (a :class:`ropa.model.RopaGraph`, e.g. a snapshot's):
    the same as :func:`read_provenance` reads from a store."""
    from .schema import HOP_TYPES
    docs = graph.nodes["Document"]
    places = {}
    for rt in HOP_TYPES:
        hops = graph.rels[rt]
        for s, r, a in zip(hops["source"], hops["row"], hops["evidence_at"]):
            if cell_text(s) and r is not None and r == r and cell_text(a):
                places[(s, int(r))] = a
    return Provenance({i: (cell_text(t), cell_text(loc))
                       for i, t, loc in zip(docs["id"], docs["title"], docs["location"])},
                      places)


def read_provenance(backend) -> Provenance:
    """The store's documents and quote places (two small queries, on either backend)."""
    from .transfers import _columns
    docs = _columns(backend, (QUERIES / "documents.cypher").read_text(encoding="utf-8"), {})
    places = _columns(backend, (QUERIES / "evidence_places.cypher").read_text(encoding="utf-8"), {})
    return Provenance(
        {i: (cell_text(t), cell_text(loc))
         for i, t, loc in zip(docs.get("id", ()), docs.get("title", ()), docs.get("location", ()))},
        {(s, int(r)): a for s, r, a in zip(places.get("source", ()), places.get("row", ()), places.get("at", ()))
         if s and r is not None and a})
