"""The draft's data model: mentions, recipients, activities and the draft itself."""
from __future__ import annotations

from dataclasses import dataclass, field

from .document import Document
from .segment import Layout

# --------------------------------------------------------------------------- data model

@dataclass
class Mention:
    """One place where the text names an organisation."""

    name: str
    start: int
    end: int
    sentence: int
    via: str                      # gazetteer | legal_form | list_item | example | table | brand
    vendor: str | None = None
    legal_form: bool = False
    status: str = "active"        # active | removed | self_hosted | controller | not_a_recipient
    reason: str = ""
    country: str | None = None
    region: str | None = None
    country_source: str | None = None
    place_evidence: int | None = None   # sentence index where the place was stated
    eu_entity: bool = False
    mechanism: str | None = None
    mechanism_sentence: int | None = None
    category: str | None = None
    key: str = ""
    entity_of: str | None = None  # a brand this legal entity belongs to ("mailbox.org (Heinlein Support GmbH)")
    entity: str | None = None     # a legal entity stated beside the name ("Sentry (Functional Software, Inc.)")
    more_places: list = field(default_factory=list)  # further countries a table cell names
    weak: bool = False            # a company name with no service context here (kept if another mention has one)


@dataclass
class Recipient:
    """A recipient of the draft (one organisation, or a named category of recipients)."""

    name: str
    country: str | None
    mechanism: str
    role: str
    evidence: str
    start: int
    end: int
    entity: str | None = None
    region: str | None = None
    country_source: str | None = None
    locations: list[dict] = field(default_factory=list)
    mechanism_source: str = "none"
    mechanism_evidence: dict | None = None
    mechanisms: list[str] = field(default_factory=list)
    category: str | None = None
    is_category: bool = False
    dpa: bool | None = None
    engaged_by: str | None = None
    gazetteer: dict | None = None
    mentions: list[Mention] = field(default_factory=list, repr=False)
    sentences: list[int] = field(default_factory=list, repr=False)


@dataclass
class Activity:
    """A processing activity (a section of the notice)."""

    name: str
    purpose: str | None
    legal_basis: list[str]
    data_categories: list[str]
    data_subjects: list[str]
    retention: str | None
    recipients: list[str]
    evidence: str
    start: int
    end: int
    sections: list[int] = field(default_factory=list, repr=False)


@dataclass
class Draft:
    """What :func:`extract` found in one notice."""

    document: Document
    layout: Layout
    language: str
    controller: dict
    recipients: list[Recipient]
    activities: list[Activity]
    ignored: list[Mention]
    claims: list[dict]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """A span of the document text as a span of the input."""
        return self.document.source_span(start, end)
