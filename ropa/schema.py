"""The graph model: node labels, relationship types and their typed properties.

This module is the single description of the schema. The embedded store turns
it into DDL, the Neo4j backend into constraints, the importers into columns,
and ``docs/schema.md`` explains it for people. Every node has a string ``id``
that is its key.

Two kinds of data share the graph:

* the **RoPA** itself (organisations, activities, data categories, subjects,
  documents and the relationships between them), written by importers;
* **reference data** (countries, adequacy decisions, transfer mechanisms),
  loaded from ``data/reference/`` so that rules can join against them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # names below are spliced into Cypher text: literals only (PEP 675)
    from typing_extensions import LiteralString

# Property types, named as LadybugDB names them. The Neo4j backend maps them.
STRING, BOOLEAN, DATE, INT64 = "STRING", "BOOLEAN", "DATE", "INT64"
STRING_LIST = "STRING[]"

# Properties of every data-flow hop (DISCLOSES_TO and ENGAGES). Keeping them
# identical lets a rule match both with one pattern: -[h:DISCLOSES_TO|ENGAGES]->
HOP_PROPERTIES: tuple[tuple[LiteralString, str], ...] = (
    ("activity", STRING),        # id of the Activity whose data flow on this hop
    ("exporter", STRING),        # id of the Organisation that sends the data
    ("role", STRING),            # importer's role: processor, subprocessor, controller, joint_controller
    ("mechanism", STRING),       # canonical mechanism id (data/reference/mechanisms.csv) or null
    ("mechanism_raw", STRING),   # the wording as the source wrote it
    ("mechanism_date", DATE),    # date the mechanism was signed / relied on
    ("tia", BOOLEAN),            # transfer impact assessment recorded
    ("dpa", BOOLEAN),            # Art. 28 contract recorded
    ("occasional", BOOLEAN),     # the row marks a derogation as occasional
    ("evidence", STRING),        # quote or note supporting the row
    ("source", STRING),          # Document id the row came from
    ("row", INT64),              # row number in that document (header = 1)
    ("evidence_at", STRING),     # where the quote stands in its document: section, line, characters
)

#: The version of the store's shape that this code reads and writes, stamped into every state of an
#: embedded store (``state.json``) and checked at every open. A store of another version is refused
#: with the way out (``ropa store upgrade``), never changed by an open. What each version added:
SCHEMA_CHANGES = {
    2: "the hops' derived properties (HOP_DERIVED: the sub-processor chain the rules read)",
    3: "the provenance of evidence (Document.title and .location, the hops' evidence_at)",
    4: "the hops' sub-processor chain as one text (`via`, in place of the list `chain`: a quarter of "
       "the time to write)",
}
SCHEMA_VERSION = max(SCHEMA_CHANGES)


def schema_changes_since(version: int) -> str:
    """What a store of ``version`` lacks, in words (for the message that asks for an upgrade)."""
    return "; ".join(text for v, text in sorted(SCHEMA_CHANGES.items()) if v > version)

# Properties a store adds to every hop, computed from the whole RoPA by
# ropa.model.derived_properties whenever a store is written (never read from a file,
# never part of a RopaGraph, left out of exports):
#   via    the names of the organisations o1..z through which the activity's data reach
#          the engager z of this hop (o1 a recipient of the activity; shortest, then the
#          smallest names; never through the importer; at most 7), joined by CHAIN_SEPARATOR
#          into one text; null when they do not reach it; '' on DISCLOSES_TO (nothing between
#          controller and recipient). Path of an ENGAGES hop =
#          [controller] + split(via, CHAIN_SEPARATOR) + [importer]: the chain rule and the
#          report read it instead of walking the sub-processors hop by hop.
#          One text rather than a list (STRING[], schema 2-3): LadybugDB's COPY of a million
#          relationships spent 3.3 s CPU on the lists and 0.6 s on the same names as one text.
HOP_DERIVED: tuple[tuple[LiteralString, str], ...] = (
    ("via", STRING),
)
#: Between two names in a hop's ``via``: U+001F (the unit separator), written in Cypher as
#: '\u001F'. A name holding it is refused when a store is written (:func:`ropa.model.derived_properties`).
CHAIN_SEPARATOR = "\x1f"


@dataclass(frozen=True)
class NodeType:
    label: LiteralString
    properties: tuple[tuple[LiteralString, str], ...]
    reference: bool = False   # loaded from data/reference, not from user input
    doc: str = ""

    @property
    def columns(self) -> list[LiteralString]:
        return [name for name, _ in self.properties]


@dataclass(frozen=True)
class RelType:
    type: LiteralString
    pairs: tuple[tuple[LiteralString, LiteralString], ...]          # (from label, to label)
    properties: tuple[tuple[LiteralString, str], ...] = ()
    reference: bool = False
    doc: str = ""
    derived: tuple[tuple[LiteralString, str], ...] = ()   # store-only (see HOP_DERIVED)

    @property
    def columns(self) -> list[LiteralString]:
        return [name for name, _ in self.properties]

    @property
    def stored(self) -> tuple[tuple[LiteralString, str], ...]:
        """The properties a store holds: the RoPA's and the derived ones."""
        return self.properties + self.derived


NODE_TYPES: dict[LiteralString, NodeType] = {t.label: t for t in (
    NodeType("Organisation", (
        ("id", STRING), ("name", STRING), ("country", STRING), ("sector", STRING),
        ("dpf_certified", BOOLEAN), ("dpf_checked", DATE)),
        doc="A controller, processor, sub-processor or other recipient. `country` is the "
            "resolved ISO code of establishment, or the text as written when it cannot be "
            "resolved; `sector` (private, public, non_profit) decides the scope of some "
            "adequacy decisions; `dpf_certified` / `dpf_checked` record a check of the DPF List."),
    NodeType("Activity", (
        ("id", STRING), ("name", STRING), ("controller", STRING), ("purpose", STRING),
        ("legal_basis", STRING), ("special_condition", STRING), ("retention", STRING),
        ("security_measures", STRING), ("source", STRING), ("row", INT64)),
        doc="A processing activity of one controller (Art. 30(1)); id is `controller id::activity name`."),
    NodeType("DataCategory", (
        ("id", STRING), ("name", STRING), ("special", STRING), ("article", INT64)),
        doc="A category of personal data; `special` is the Art. 9 category code or `criminal`, "
            "`article` is 9 or 10 when it is special."),
    NodeType("DataSubject", (("id", STRING), ("name", STRING)),
             doc="A category of data subjects."),
    NodeType("Document", (("id", STRING), ("name", STRING), ("kind", STRING), ("title", STRING),
                          ("location", STRING)),
             doc="A source of the record: a register file, a privacy notice (provenance); `title` is the "
                 "document's own title, `location` its file name or URL (both null when not known)."),
    NodeType("Country", (
        ("id", STRING), ("name", STRING), ("eea", BOOLEAN), ("resolved", BOOLEAN)),
        reference=True,
        doc="ISO 3166-1 alpha-2 code as id; `EEA` stands for 'somewhere in the EEA'; a place "
            "that cannot be resolved is kept as written with id `?:<text>` and resolved=false."),
    NodeType("Adequacy", (
        ("id", STRING), ("country", STRING), ("instrument", STRING), ("adopted", DATE),
        ("valid_from", DATE), ("valid_until", DATE), ("scope_kind", STRING),
        ("scope", STRING), ("legal_source", STRING)),
        reference=True, doc="An adequacy decision (Art. 45) with its scope and dates."),
    NodeType("Mechanism", (
        ("id", STRING), ("label", STRING), ("kind", STRING), ("article", STRING),
        ("valid_from", DATE), ("invalid_from", DATE), ("new_contracts_until", DATE),
        ("requires_tia", BOOLEAN), ("occasional_only", BOOLEAN), ("legal_source", STRING),
        ("remediation", STRING)),
        reference=True,
        doc="A transfer mechanism (Art. 45/46/49 or an invalidated one) with validity dates."),
)}

REL_TYPES: dict[LiteralString, RelType] = {t.type: t for t in (
    RelType("CONTROLS", (("Organisation", "Activity"),), (("joint", BOOLEAN),),
            doc="The controller of an activity."),
    RelType("PROCESSES", (("Activity", "DataCategory"),), doc="Data categories of an activity."),
    RelType("CONCERNS", (("Activity", "DataSubject"),), doc="Data subjects of an activity."),
    RelType("DISCLOSES_TO", (("Activity", "Organisation"),), HOP_PROPERTIES,
            doc="The controller discloses the activity's data to a recipient (first hop).", derived=HOP_DERIVED),
    RelType("ENGAGES", (("Organisation", "Organisation"),), HOP_PROPERTIES,
            doc="A processor engages a sub-processor for the activity named in `activity`; `via`: "
                "the organisations through which the activity's data reach the engager (one text, "
                "names joined by U+001F).", derived=HOP_DERIVED),
    RelType("ESTABLISHED_IN", (("Organisation", "Country"),), doc="Country of establishment."),
    RelType("PROCESSES_IN", (("Organisation", "Country"),), (("inferred", BOOLEAN),),
            doc="Where the organisation stores or accesses the data; `inferred` when taken "
                "from its country of establishment because no processing location was given."),
    RelType("COVERS", (("Adequacy", "Country"),), reference=True,
            doc="The countries an adequacy decision covers."),
    RelType("EVIDENCED_BY", (("Activity", "Document"), ("Organisation", "Document")),
            (("quote", STRING), ("row", INT64)),
            doc="Provenance: the document (and quote, row) a node was taken from."),
)}

ROPA_LABELS: list[LiteralString] = [t.label for t in NODE_TYPES.values() if not t.reference]
REFERENCE_LABELS: list[LiteralString] = [t.label for t in NODE_TYPES.values() if t.reference]
HOP_TYPES: tuple[LiteralString, ...] = ("DISCLOSES_TO", "ENGAGES")

# The store's journal of revisions (ropa.revisions): who changed the RoPA, when, why, and what changed.
# Kept in the store beside the RoPA, so that a change and its revision land together (one write), on
# both backends; but it is not part of the RoPA: not in NODE_TYPES, so never in a RopaGraph, an export,
# a fingerprint or a rule's match, and a replace of the RoPA leaves it as it is.
REVISION = NodeType("Revision", (
    ("id", STRING),          # "r<number>"
    ("number", INT64),       # 1, 2, ... in the order they were made
    ("at", STRING),          # UTC timestamp, ISO 8601, seconds
    ("author", STRING),
    ("reason", STRING),
    ("kind", STRING),        # edit, import, notice, revert, accept, seed
    ("summary", STRING),     # one line: what changed
    ("controllers", STRING),  # names of the controllers whose records changed, "; "-joined
    ("change", STRING),      # JSON: per table the records added, removed and changed (before, after)
    ("accepted", STRING)),   # JSON list of the drafted hops this revision accepted (kind accept), else null
    doc="A revision of the RoPA (not part of it): number, time, author, reason and the change itself.")
JOURNAL_LABEL: LiteralString = "Revision"
