"""Drafting a RoPA from a notice: recipients, countries, mechanisms, activities.

The pipeline (all rules and wording in ``data/extract/``):

1. read and lay out the document (:mod:`.document`, :mod:`.segment`);
2. find organisation *mentions*: gazetteer names, names with a legal form
   (``… GmbH``, ``… Inc.``) in a sentence about a service, names that open an
   item of a recipients list, names given as examples ("such as Google"),
   names in the name column of a sub-processor table;
3. drop mentions that are no disclosure: the controller itself, complaint
   channels, group membership, staff, self-hosted assets (fonts served from
   our own server), vendors said to be removed or no longer used;
4. give each mention a place: a country or city stated in its sentence, a
   country in its legal name ("… Ireland Ltd"), the list introduction or
   table cell, the section heading; US addresses ("CA 94043") count;
5. group mentions into recipients (gazetteer id, else the name without legal
   form) and pick the entity: the EU entity when the text names one for EU
   users, the other places kept as processing locations;
6. attach transfer mechanisms: claims in the recipient's own sentence, claims
   in a section about that recipient alone, claims made for a list ("these
   processors"), blanket claims for all transfers; a statement that nothing
   leaves the EEA puts recipients without a stated place in the EEA;
7. collect activities per section: purpose, legal basis (Art. 6(1) letter),
   data categories, data subjects, retention and the recipients named there.

Gazetteer facts are never presented as the text's: they only fill a missing
country, marked ``country_source: "gazetteer"``.

Each stage is a module of its own (controller, mentions, filters, places, grouping, mechanisms,
activities); they share the document context (:mod:`.context`) and the patterns of :mod:`.patterns`.
"""
from __future__ import annotations

from .controller import ControllerStage
from .mentions import MentionStage
from .filters import FilterStage
from .places import PlaceStage
from .grouping import GroupingStage
from .mechanisms import MechanismStage
from .activities import ActivityStage
from .document import read_document
from .draft import Activity, Draft, Mention, Recipient
from .patterns import detect_language

__all__ = ["Mention", "Recipient", "Activity", "Draft", "extract", "extract_text", "detect_language"]


class _Extractor(ControllerStage, MentionStage, FilterStage, PlaceStage, GroupingStage, MechanismStage, ActivityStage):
    """The pipeline: each stage in order over one document."""

    # -- run ---------------------------------------------------------------------------------
    def run(self) -> Draft:
        controller = self.controller()
        self._controller_name = controller.get("name")
        self.find_mentions()
        self.filter_mentions(controller.get("name"))
        self._spread_self_hosting()
        self.locate()
        recipients = [self.build_recipient(ms) for ms in self.cluster()]
        recipients += self.categories(recipients)
        self.engagements(recipients)
        self.attach_mechanisms(recipients)
        recipients.sort(key=lambda r: r.start)
        activities = self.activities(recipients)
        ignored = [m for m in self.mentions if m.status not in ("active", "controller")]
        return Draft(self.doc, self.lay, self.language, controller, recipients, activities, ignored, self.claims)


def extract(data: bytes | str, name: str = "notice.txt") -> Draft:
    """Draft a RoPA from a privacy notice or sub-processor list (text, Markdown, HTML, PDF).

    Deterministic and offline. Raises FormatError when the input cannot be read.

    >>> d = extract("Privacy\\n\\nAcme BV is the controller. We host our website with Hetzner Online GmbH in "
    ...             "Germany. Newsletters are sent by Mailchimp (USA); we signed standard contractual clauses "
    ...             "with Mailchimp.", "n.txt")
    >>> [(r.name, r.country, r.mechanism) for r in d.recipients]
    [('Hetzner Online GmbH', 'DE', 'none'), ('Mailchimp', 'US', 'scc')]
    """
    return _Extractor(read_document(data, name)).run()


def extract_text(text: str) -> Draft:
    """:func:`extract` for a plain-text string."""
    return extract(text, "notice.txt")
