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
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from functools import lru_cache

from .. import reference
from . import vocab
from .document import Document, read_document
from .segment import Layout, Sentence, segment

__all__ = ["Mention", "Recipient", "Activity", "Draft", "extract", "extract_text", "detect_language"]

# Bounded repeats (an address part is at most 64 characters, a domain label 63, RFC 5321/1035): with
# unbounded ones a long run of word characters without "@" costs quadratic time (1 MB: hours).
_URL = re.compile(r"\b(?:https?://|www\.)\S+|[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,16}"
                  r"|\b[\w-]{1,63}(?:\.[\w-]{1,63}){0,16}\.(?:gov|com|org|net|io|eu|de|nl|be|fr|co|ie|uk)\b(?:/\S*)?",
                  re.I)
_EMAIL_OR_URL = re.compile(r"\b(?:https?://|www\.)\S+|[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,16}", re.I)
_REGION_PREFIX = re.compile(
    r"(?:\b(?:in|within|inside|binnen|innerhalb|im|in der|in de|in het|gevestigd in|located in|based in|ansässig in)"
    r"\s+(?:the\s+|de\s+|der\s+|des\s+|het\s+)?)$", re.I)
_NAME_TOKEN = re.compile(r"[\w][\w.&+'’-]*")
_GENERIC_NAME_WORDS = frozenset("""
technologies technology online software services service group holding holdings company international europe emea
ireland deutschland germany nederland netherlands uk eu global worldwide inc ltd llc gmbh bv nv the
""".split())
_ROLE_ORDER = ("joint_controller", "independent_controller", "subprocessor", "processor")
_INVALIDATED = reference.struck_down_mechanisms()  # from mechanisms.csv (invalid_from), not a list of ours
_GENERIC_MECH = frozenset({"adequacy", "derogation_other"})
_SHORT_COUNTRY = {"USA": "US", "U.S.A.": "US", "U.S.": "US", "US": "US", "VS": "US", "UK": "GB", "U.K.": "GB"}
_REGION_WORDS = ("EEA", "EER", "EWR", "EU", "European Economic Area", "European Union", "Europese Unie",
                 "Europese Economische Ruimte", "Europäische Union", "Europäischen Union",
                 "Europäischer Wirtschaftsraum", "Europäischen Wirtschaftsraum")


_REGIONAL_SUFFIX = re.compile(r"\s+(?:Ireland|Europe|EMEA|Online|International)(?:\s+(?:Ltd\.?|Limited|Unlimited Company|"
                              r"Company|SARL|GmbH|Inc\.?))?")


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


# --------------------------------------------------------------------------- helpers

def detect_language(text: str) -> str:
    """``en``, ``nl`` or ``de`` by stop-word counts (ties: ``en``).

    >>> detect_language("Wij verwerken uw persoonsgegevens met zorg en niet voor andere doelen.")
    'nl'
    >>> detect_language("Wir verarbeiten Ihre Daten nicht für andere Zwecke und mit Sorgfalt.")
    'de'
    """
    words = re.findall(r"\w+", text.casefold())
    scores = {lang: sum(w in stops for w in words) for lang, stops in vocab.stopwords().items()}
    best = max(vocab.LANGUAGES, key=lambda lang: (scores.get(lang, 0), lang == "en"))
    return best


def _masked(text: str, pattern: re.Pattern = _URL) -> str:
    """``text`` with URLs, e-mail addresses and domains blanked (same length)."""
    return pattern.sub(lambda m: " " * len(m.group(0)), text)


@lru_cache(maxsize=1)
def _country_pattern() -> tuple[re.Pattern, dict[str, str]]:
    names: dict[str, str] = {}
    aliases = reference.load_country_aliases()
    for alias, code, lang in zip(aliases["alias"], aliases["code"], aliases["lang"]):
        if lang != "iso-alpha3" and len(alias) >= 4 and code != "EEA":
            names[alias.casefold()] = code
    countries = reference.load_countries()
    for name, code in zip(countries["name"], countries["code"]):
        if len(name) >= 4 and code.isalpha() and len(code) == 2:
            names[name.casefold()] = code
    for bad in ("jersey", "georgia", "turkey", "chad", "man", "guinea", "america", "jordan", "niger"):
        names.pop(bad, None)
    alternation = vocab.trie_alternation(names)
    short = "|".join(re.escape(s) for s in sorted(_SHORT_COUNTRY, key=len, reverse=True))
    pattern = re.compile(r"(?<![\w-])(?:(?i:" + alternation + r")|" + short + r")(?![\w]|-\w)")
    return pattern, names


@lru_cache(maxsize=1)
def _region_pattern() -> re.Pattern:
    return re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(r) for r in sorted(_REGION_WORDS, key=len, reverse=True))
                      + r")(?![\w-])")


def _cell_text(cell: str) -> str:
    """A table cell without its Markdown/HTML markup: "**Google Cloud Services**<br/>(GCP)" -> "Google Cloud
    Services (GCP)", "[Mailgun](https://…)" -> "Mailgun"."""
    cell = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", cell)
    cell = re.sub(r"<br\s*/?>", " ", cell, flags=re.I)
    cell = re.sub(r"</?\w+[^>]*>", "", cell)
    cell = re.sub(r"(\*\*|__|`)", "", cell)
    return " ".join(cell.split())


@lru_cache(maxsize=1)
def _mechanism_patterns() -> list[tuple[re.Pattern, str, str]]:
    """[(pattern, mechanism, condition)]: the register's aliases plus extraction wording."""
    out = list(vocab.mechanism_cues())
    aliases = reference.load_mechanism_aliases()
    for alias, mech in zip(aliases["alias"], aliases["mechanism"]):
        if mech == "none" or len(alias) < 3:
            continue
        words = alias.split()
        generic = mech.startswith("derogation") or mech in ("adequacy", "certification", "code_of_conduct")
        if mech == "scc" and alias in ("CCT", "clauses types", "modelcontract", "standaardbepalingen"):
            generic = True
        cond = "transfer" if generic and not (len(words) > 1 and mech == "adequacy" and "decision" in alias) else "always"
        out.append((re.compile(r"(?<!\w)" + re.escape(alias) + r"(?![\w])", re.I if len(alias) > 4 else 0),
                    mech, cond))
    return out


@lru_cache(maxsize=1)
def _mechanism_prefilter() -> re.Pattern:
    """One case-insensitive pattern matching wherever any mechanism pattern could: a sentence it does not
    match names no mechanism, so the hundred-odd patterns run only on the few sentences that do."""
    lead, tail = r"(?<!\w)", r"(?![\w])"
    alts = []
    for p, _, _ in _mechanism_patterns():
        src = p.pattern
        src = src[len(lead):] if src.startswith(lead) else src
        src = src[:-len(tail)] if src.endswith(tail) else src
        alts.append(f"(?:{src})")
    # one word-boundary test per position instead of one per alternative: ten times faster on a long notice
    return re.compile(r"\b(?:" + "|".join(alts) + ")", re.I)


@lru_cache(maxsize=4096)
def _sentence_mechanisms(text: str) -> list[tuple[int, int, str, bool]]:
    """Mechanisms a sentence names: (start, end, mechanism, is_history), URLs ignored.

    >>> [m[2:] for m in _sentence_mechanisms("See https://www.privacyshield.gov/ for details.")]
    []
    >>> [m[2:] for m in _sentence_mechanisms("Google is certified under the EU-US Privacy Shield.")]
    [('privacy_shield', False)]
    """
    if not _mechanism_prefilter().search(text):  # masking only removes matches: test the raw text first
        return []
    clean = _masked(text)
    if not _mechanism_prefilter().search(clean):
        return []
    transfer = bool(vocab.cue("transfer").search(clean))
    found: list[tuple[int, int, str]] = []
    for pattern, mech, cond in _mechanism_patterns():
        if cond == "transfer" and not transfer:
            continue
        for m in pattern.finditer(clean):
            if any(a <= m.start() < b or m.start() <= a < m.end() for a, b, _ in found):
                continue
            if mech == "certification" and re.search(r"\bISO\b", clean):
                continue
            found.append((m.start(), m.end(), mech))
    if any(m == "dpf" for _, _, m in found):  # "the EU-US Data Privacy Framework (adequacy decision, Art. 45)"
        found = [f for f in found if f[2] != "adequacy"]
    out = []
    history = vocab.cue("history")
    for a, b, mech in sorted(found):
        before = re.split(r"[,;:(]", clean[max(0, a - 60):a])[-1]  # this clause only
        after = clean[b:b + 50]
        negated = re.search(r"\b(not|no|niet|geen|kein\w*|nicht|without|zonder|ohne)\s+(\w+\s+){0,2}$", before, re.I)
        hist = bool(history.search(before) or re.match(r"[^.;]{0,40}\b(invalidat\w*|invalid|ongeldig\w*|ungültig\w*|"
                                                        r"struck down|annull\w*|vernietigd|aufgehoben|replaced|"
                                                        r"vervangen|ersetzt|expired|verlopen)", after, re.I))
        if mech in ("scc",):
            version = reference.resolve_mechanism(clean)
            mech = version if version and version.startswith("scc") else "scc"
        elif mech in ("privacy_shield", "swiss_us_privacy_shield"):
            mech = reference.resolve_mechanism(clean[max(0, a - 15):b]) or mech
            if mech not in ("privacy_shield", "swiss_us_privacy_shield"):
                mech = "privacy_shield"
        out.append((a, b, mech, bool(negated) or hist))
    return out


@lru_cache(maxsize=8192)
def _place_matches(span: str) -> tuple[list, list, list, list]:
    """Every country, city, US address and region word in ``span`` (offsets into it), before any skipping;
    cached, as the same sentence or block is asked about once per name in it."""
    masked = _masked(span, _EMAIL_OR_URL)
    pattern, names = _country_pattern()
    countries = []
    for m in pattern.finditer(masked):
        word = m.group(0)
        code = _SHORT_COUNTRY.get(word) or names.get(word.casefold())
        if code:
            countries.append((m.start(), m.end(), code))
    city_re, cities, us_re = vocab.places()
    city = [(m.start(), m.end(), cities[m.group(0).casefold()]) for m in city_re.finditer(masked)]
    us = [(m.start(), m.end()) for m in us_re.finditer(masked)]
    regions = []
    for m in _region_pattern().finditer(masked):
        before = masked[:m.start()]
        if re.search(r"\b(outside|buiten|außerhalb|beyond)\s+(?:of\s+)?(the\s+|de\s+|der\s+|des\s+)?$", before, re.I):
            regions.append((m.start(), m.end(), "non-EEA"))
        elif _REGION_PREFIX.search(before[-40:]):
            regions.append((m.start(), m.end(), "EEA"))
    return countries, city, us, regions


def _places_in(text: str, lo: int, hi: int, skip: list[tuple[int, int]]) -> list[tuple[int, int, str | None, str | None, str]]:
    """Places stated in text[lo:hi]: (start, end, country, region, how) sorted by position."""
    out = []

    def free(a: int, b: int) -> bool:
        return not any(x < b and a < y for x, y in skip)

    countries, city, us, regions = _place_matches(text[lo:hi])
    for a, b, code in countries:
        if free(lo + a, lo + b):
            out.append((lo + a, lo + b, code, None, "country"))
    for a, b, code in city:
        a, b = lo + a, lo + b
        if free(a, b) and not any(x <= a < y for x, y, *_ in out):
            out.append((a, b, code, None, "city"))
    for a, b in us:
        if free(lo + a, lo + b):
            out.append((lo + a, lo + b, "US", None, "address"))
    for a, b, region in regions:
        if free(lo + a, lo + b):
            out.append((lo + a, lo + b, None, region, "region"))
    return sorted(out)


@lru_cache(maxsize=1)
def _name_stops() -> tuple[frozenset[str], re.Pattern]:
    """Words that end a company name read backwards from its legal form, and describing nouns."""
    stops = set().union(*vocab.stopwords().values()) | {
        "firma", "company", "bedrijf", "unternehmen", "provider", "aanbieder", "anbieter", "the", "by", "from",
        "via", "door", "durch", "bei", "with", "met", "mit", "and", "en", "und", "or", "of", "is", "uses", "use",
        "contact", "contract", "dienstverlener", "dienstleister", "service", "services", "operator",
        "tool", "software", "platform", "plugin", "foundation", "stichting", "kader", "van", "von", "des", "la"}
    # German compound nouns that describe, not name: "Hosting-Dienstleister Acme GmbH"
    descriptive = re.compile(r"(dienstleister|anbieter|verarbeiter|unternehmen|provider|betreiber|hoster|"
                             r"dienst|plattform|leverancier|verwerker|aanbieder|firma)$", re.I)
    return frozenset(stops), descriptive


# --------------------------------------------------------------------------- the extractor

class _Extractor:
    def __init__(self, doc: Document):
        self.doc = doc
        self.text = doc.text
        self.lay = segment(doc.text)
        self.sent_starts = [s.start for s in self.lay.sentences]
        self.language = detect_language(doc.text)
        self.mentions: list[Mention] = []
        self.claims: list[dict] = []
        self._mech_cache: dict[int, list] = {}
        self._sections_cache: dict[tuple[int, int], dict[int, int]] = {}

    # -- small lookups ------------------------------------------------------
    def sentence_at(self, pos: int) -> Sentence:
        i = max(0, bisect.bisect_right(self.sent_starts, pos) - 1)
        return self.lay.sentences[i]

    def mechs(self, s: Sentence) -> list[tuple[int, int, str, bool]]:
        if s.idx not in self._mech_cache:
            self._mech_cache[s.idx] = [(s.start + a, s.start + b, m, h) for a, b, m, h in _sentence_mechanisms(s.text)]
        return self._mech_cache[s.idx]

    def block_text(self, block: int) -> str:
        b = self.lay.blocks[block]
        return self.text[b.start:b.end]

    def list_intro_text(self, block: int) -> str:
        blk = self.lay.blocks[block]
        if blk.list_id is None:
            return ""
        group = self.lay.lists[blk.list_id]
        texts = []
        if group.intro is not None:
            texts.append(self.block_text(group.intro))
            parent = self.lay.blocks[group.intro]
            if parent.list_id is not None and self.lay.lists[parent.list_id].intro is not None:
                texts.append(self.block_text(self.lay.lists[parent.list_id].intro))
        return " ".join(texts)

    def headings(self, section: int) -> list[str]:
        return [self.lay.sections[s].title for s in self.lay.section_chain(section) if self.lay.sections[s].title]

    def recipient_list(self, block: int) -> bool:
        """Whether a list item sits in a list that names recipients (not purposes, cases or data)."""
        intro = self.list_intro_text(block)
        own_intro = self._own_intro(block)
        if own_intro and vocab.cue("not_recipient_intro").search(own_intro):
            return False  # "… insbesondere für Zwecke:", "… only in these cases:"
        if intro and vocab.cue("share_intro").search(intro):
            return True
        blk = self.lay.blocks[block]
        heads = self.headings(blk.section)
        if not heads or self._heading_field(heads[0]) in ("purpose", "legal_basis", "categories", "retention", "rights"):
            return False  # "Purposes based on our or third parties' legitimate interests" is about purposes
        return bool(vocab.cue("recipient_heading").search(heads[0]))

    def _own_intro(self, block: int) -> str:
        blk = self.lay.blocks[block]
        if blk.list_id is None or self.lay.lists[blk.list_id].intro is None:
            return ""
        return self.block_text(self.lay.lists[blk.list_id].intro)

    @staticmethod
    @lru_cache(maxsize=4096)
    def _heading_field(title: str) -> str | None:
        return next((f for f, p in vocab.heading_fields() if p.search(title)), None)

    # -- controller -------------------------------------------------------------
    def controller(self) -> dict:
        text = self.text
        cands: list[tuple[int, str, int]] = []
        lf = vocab.legal_forms()
        patterns = [
            r"(?P<n>[A-Z][\w&.-]*(?:\s+[A-Z][\w&./-]*){0,4}(?:\s+(?:en|and|und)\s+[A-Z][\w&./-]*(?:\s+[A-Z][\w&./-]*){0,3})?)"
            r"\s*(?:\(|,)?\s*(?:[“\"'][^”\"'\n]{1,30}[”\"'],?\s*){0,2}(?:hereinafter|hierna|nachfolgend|[“\"'](?:we|us|wij|ons|wir|uns)[”\"'])",
            r"(?P<n>[A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*){0,3}(?:\s+(?:B\.V\.|BV|NV/SA|GmbH|AG|Ltd\.?|Inc\.?|LLC))?)\s+(?:is|acts as|is the|treedt op als|ist)\s+(?:the\s+|de\s+|der\s+)?"
            r"(?:data\s+)?(?:controller|verwerkingsverantwoordelijke|verantwoordelijke|Verantwortliche)",
            r"(?:privacy (?:policy|statement|notice) of|privacyverklaring van|Datenschutzerklärung de[rs])\s+(?P<n>[A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*){0,3}(?:\s+(?:B\.V\.|BV|GmbH|AG|Ltd\.?|Inc\.?|LLC))?)",
            r"(?:hoe|how|wie)\s+(?P<n>[A-Z][\w&.-]*(?:\s+[A-Z][\w&./-]*){0,3})\s+(?:en|and|und)\s+[A-Z]",
            r"(?:verantwoordelijke|Verantwortliche[r]?|controller)\s*(?:is|ist)?\s*:\s*\n+\s*(?P<n>[^\n]{2,60})",
            # "verantwortliche Stelle im Sinne des Datenschutzrechts" / "Data controller" on a line, the name on the next
            r"(?i:verantwortliche Stelle|verwerkingsverantwoordelijke|data controller)\b[^\n.:]{0,60}\n[ \t]*\n?[ \t]*"
            r"(?P<n>[A-Z][^\n,;]{2,70}?)[ \t]*\n",
            # a sub-processor list's opening: "Range Labs Inc. may engage and use data processors"
            r"(?P<n>[A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*){0,3},?\s+(?:B\.V\.|BV|GmbH|AG|Ltd\.?|Inc\.?|LLC))(?:\s*\([^)]{0,60}\))?,?"
            r"\s+(?:may|will|currently)?\s*(?:engages?|uses?)\b[^.]{0,40}\b(?:sub-?processors?|processors|service providers)",
        ]
        cue = re.compile(r"\b(?:controller|verwerkingsverantwoordelijke|verantwoordelijk\w*|verantwortlich\w*|hereinafter|"
                         r"hierna|nachfolgend|responsible)\b|[“\"'](?:we|wij|wir)[”\"']|\(\s*[“\"„'][A-Z][\w ]{1,30}[”\"“']\s*\)",
                         re.I)
        _, vendor_names, _ = vocab.vendors()
        for s in self.lay.sentences[:40]:
            c = cue.search(s.text)
            if not c:
                continue
            # a defined term alone ("Google Inc. (“Google”)") defines a vendor as often as the controller
            term_only = all(x.group(0).startswith("(") for x in cue.finditer(s.text))
            blk = self.lay.blocks[s.block]
            hi = max([s.end] + [b.end for b in self.lay.blocks[blk.idx + 1:blk.idx + 3] if len(b.text) <= 70])
            for m in lf.finditer(text, s.start, hi):
                if re.match(r"\s*\d{5}", text[m.end():m.end() + 7]):
                    continue
                start = self._name_before(m.start())
                if start is not None and start >= s.start:
                    name = text[start:m.end()].strip()
                    if term_only and vendor_names.search(name):
                        continue
                    joint = re.match(r"\s+(?:en|and|und)\s+([A-Z][^,(“\"]{1,40}?" + r"(?:NV/SA|B\.V\.|BV|GmbH|Ltd|Inc\.?|SA))",
                                     text[m.end():])
                    if joint:
                        name = f"{name} {text[m.end():m.end() + joint.end()].strip()}"
                    cands.append((-1, name, start))
                    break
            if cands:
                break
        for weight, p in enumerate(patterns):
            for m in re.finditer(p, text[:20000]):
                name = m.group("n").strip(" ,.(")
                if name.lower() in ("we", "wij", "wir", "this", "the", "our", "de", "die", "deze") \
                        or name.casefold() in set().union(*vocab.stopwords().values()):  # "Waar “wij” … staat"
                    continue
                cands.append((weight, name, m.start("n")))
        if not cands:
            # The most frequent capitalised word that is no vendor: notices name their controller often.
            _, vpattern, _ = vocab.vendors()
            counts: dict[str, int] = {}
            countries = _country_pattern()[0]
            plain = countries.sub(lambda m: " " * len(m.group(0)), text)  # "United States" names no one
            plain = vpattern.sub(lambda m: " " * len(m.group(0)), plain)  # nor does the "Analytics" of a vendor
            for m in re.finditer(r"\b[A-Z][A-Za-z0-9]{2,}(?:\s+(?:B\.V\.|GmbH|BV|Ltd|Inc\.?))?", plain):
                w = m.group(0)
                if vpattern.fullmatch(w) or w.lower() in vocab.stopwords().get(self.language, ()):
                    continue
                counts[w] = counts.get(w, 0) + 1
            # a name is never written in lower case ("Processing", "processing") and is no country's word ("United")
            for w in list(counts):
                bare = w.split()[0]
                if re.search(r"\b" + re.escape(bare.lower()) + r"\b", text) or vocab.cue("not_a_name").fullmatch(bare) \
                        or not re.search(r"[a-z,;]\s+" + re.escape(bare) + r"\b", text):  # a heading word only
                    del counts[w]
                elif self.language == "de" and not re.search(r".[A-Z0-9]", bare):
                    del counts[w]  # German capitalises every noun: only a CamelCase, all-caps or numbered word can be a name
            common = sorted(counts.items(), key=lambda kv: -kv[1])
            if common and common[0][1] >= 3:
                cands.append((9, common[0][0], text.find(common[0][0])))
        if not cands:
            return {"name": None, "country": None}
        weight, name, pos = min(cands, key=lambda c: (c[0], c[2]))
        # prefer the same name written with its legal form elsewhere
        full = re.search(re.escape(name) + r"(?:\s*,)?\s+(?:B\.V\.|BV|N\.V\.|NV/SA|NV|GmbH|AG|Ltd\.?|Inc\.?|LLC|SA|SAS)", text)
        if full and not lf.search(name):
            name = full.group(0)
        country, source = self._controller_country(name)
        return {"name": name, "country": country, "country_source": source}

    def _controller_country(self, name: str) -> tuple[str | None, str | None]:
        text = self.text
        for m in re.finditer(re.escape(name), text):
            # an address right after the name: the same line and the next few short lines
            s = self.sentence_at(m.start())
            hi = s.end
            blk = self.lay.blocks[s.block]
            nxt = [b for b in self.lay.blocks[blk.idx + 1: blk.idx + 4] if len(b.text) <= 70]
            if nxt:
                hi = max(hi, nxt[-1].end)
            places = [p for p in _places_in(text, m.end(), hi, []) if p[2]]
            # an address: a street number or postcode between name and place, or the place right after
            places = [p for p in places if p[0] - m.end() <= 160 and (re.search(r"\d", text[m.end():p[0]])
                                                                       or len(text[m.end():p[0]].strip(" ,")) <= 2)]
            if places:
                return places[0][2], "address"
        for pattern, country in vocab.authorities():
            if pattern.search(text):
                return country, "supervisory authority"
        return None, None

    # -- mentions ---------------------------------------------------------------
    def find_mentions(self) -> None:
        lay, text = self.lay, self.text
        _, vpattern, by_name = vocab.vendors()
        lf = vocab.legal_forms()
        starts: list[int] = []  # the taken spans never overlap, so sorted by start they are sorted by end
        ends: list[int] = []

        def add(m: Mention) -> None:
            i = bisect.bisect_left(starts, m.end)  # spans starting before m ends: only the last can reach m
            if i and ends[i - 1] > m.start:
                return
            starts.insert(i, m.start)
            ends.insert(i, m.end)
            self.mentions.append(m)

        # tables first: their cells say exactly what is what
        for group in lay.lists:
            if group.kind == "table":
                self._table_mentions(group, add)
        url_masked = _masked(text, _EMAIL_OR_URL)
        for m in vpattern.finditer(url_masked):
            s = self.sentence_at(m.start())
            full = self._extend_legal_form(m.start(), m.end())
            add(Mention(text[m.start():full], m.start(), full, s.idx, "gazetteer", vendor=by_name[m.group(0)],
                        legal_form=full > m.end()))
        for m in lf.finditer(url_masked):
            if re.match(r"\s*\d{5}\b", url_masked[m.end():m.end() + 7]):
                continue  # "Reno, NV 89511": a US state, not a legal form
            start = self._name_before(m.start())
            if start is None:
                continue
            s = self.sentence_at(start)
            name = text[start:m.end()].strip()
            add(Mention(name, start, m.end(), s.idx, "legal_form", legal_form=True))
        for blk in lay.blocks:
            if blk.kind == "item" and self.recipient_list(blk.idx):
                self._item_mentions(blk, add)
        self._example_mentions(add)
        self._brand_links(add)
        self.mentions.sort(key=lambda m: m.start)

    def _extend_legal_form(self, start: int, end: int) -> int:
        j = end
        while j < len(self.text) and self.text[j] == " ":
            j += 1
        m = vocab.legal_forms().match(self.text, j) or _REGIONAL_SUFFIX.match(self.text, end)
        return end if m is None else m.end()

    def _name_before(self, pos: int) -> int | None:
        """Start of the organisation name that ends right before a legal form at ``pos``."""
        text = self.text
        stops, descriptive = _name_stops()
        i = pos
        while i > 0 and text[i - 1] in " ,\t":
            i -= 1
        start = None
        lowercase_used = False
        count = 0
        while count < 5:
            m = re.search(r"([\w&][\w.&+'’/-]*)$", text[max(0, i - 60):i])
            if not m:
                break
            word = m.group(1)
            if word == "&":  # "Müller & Partner GmbH"
                i -= 2
                continue
            wstart = i - len(word)
            low = word.casefold()
            if low in stops and word[:1].isupper() and count > 0:
                # "Bakkerij De Gouden Korst B.V.": a capitalised article inside a name
                prev = re.search(r"([\w][\w.&+'’/-]*)\s+$", text[max(0, wstart - 40):wstart])
                if prev and prev.group(1)[:1].isupper() and prev.group(1).casefold() not in stops:
                    low = ""
            if low in stops or descriptive.search(low) or re.fullmatch(r"\d+(e|de|ste|th|st|nd|rd)?\.?", low):
                break
            if not (word[0].isupper() or word[0].isdigit() or re.search(r"[A-Z]", word[1:]) or "." in word):
                # one lower-case word, as brands write themselves: "dogado GmbH", "envia TEL GmbH"; never before a
                # lower-case form ("in limited circumstances" names no one)
                after = text[start:pos].split()[0] if start is not None else ""
                if lowercase_used or count > 1 or (count == 1 and not re.fullmatch(r"[A-Z]{2,}", after)) \
                        or text[pos:pos + 1].islower():
                    break
                lowercase_used = True
            start = wstart
            count += 1
            j = wstart
            if j > 0 and text[j - 1] == " ":
                i = j - 1
            else:
                break
        if start is None:
            return None
        name = text[start:pos].strip(" ,")
        while name.split() and name.split()[0] in ("The", "De", "Die", "Der", "Het", "Das"):
            start = text.index(name.split()[1], start) if len(name.split()) > 1 else None
            if start is None:
                return None
            name = text[start:pos].strip(" ,")
        if not name or not re.search(r"[A-Za-z]", name):
            return None
        return start

    def _item_mentions(self, blk, add) -> None:
        """A recipients-list item that opens with a name: 'Twikey, die ons ...' / 'Acme (hosting)'."""
        text = self.text
        s = self.lay.sentences_of_block(blk.idx)[0]
        m = re.match(r"([^\s,(:–—-][^,(:–—]{0,60}?)\s*(?:,|\(|:|\s[–—-]\s|\.$|$)", text[blk.start:blk.end])
        if not m:
            return
        name = m.group(1).strip().rstrip(".")
        lead = re.match(r"(?:the|de|het|die|der|das|den)\s+", name, re.I)  # "die DATEV eG"
        if lead:
            name = name[lead.end():]
        words = name.split()
        if not words or len(words) > 5:
            return
        rest = text[blk.start + m.end(1):blk.end]
        apposition = re.match(r"\s*(?:,\s*(?:die|dat|which|who|that|der|das|welche|een|a|an|ein|eine|our|onze|unser|"
                              r"is|provides|biedt|levert)\b|\(|\s[–—-]\s)", rest, re.I)
        stops = set().union(*vocab.stopwords().values())
        # CamelCase, digits, a domain or an all-caps word are brands; "IT-Dienstleister" is not
        brandlike = (any(re.search(r"[a-z][A-Z]|\d|\.\w", w) or re.fullmatch(r"[A-Z]{3,}", w) for w in words)
                     or (self.language != "de"  # German capitalises every noun
                         and all(w[0].isupper() for w in words if w[0].isalpha()) and len(words) <= 3
                         and not any(w.casefold() in stops for w in words) and apposition is not None))
        if not brandlike:
            return
        start = blk.start + m.start(1) + (lead.end() if lead else 0)
        add(Mention(name, start, start + len(name), s.idx, "list_item", legal_form=bool(vocab.legal_forms().search(name)),
                    vendor=vocab.vendor_near(name)))

    def _example_mentions(self, add) -> None:
        """Names given as examples of a recipient category: 'Advertising platforms (such as Google, TikTok)'."""
        text = self.text
        for blk in self.lay.blocks:
            if blk.kind != "item" or not self.recipient_list(blk.idx):
                continue
            body = text[blk.start:blk.end]
            for m in re.finditer(r"\((?P<ex>[^)]*)\)", body):
                inner = m.group("ex")
                em = vocab.cue("example").search(inner)
                if not em:
                    continue
                pos = blk.start + m.start("ex") + em.end()
                for part in re.finditer(r"[^,;]+", inner[em.end():]):
                    chunk = part.group(0)
                    for sub in re.finditer(r"[^/]+", re.sub(r"\b(and|or|en|of|und|oder)\b", ",", chunk)):
                        word = sub.group(0).strip(" .")
                        if not word or not word[0].isupper() or len(word.split()) > 3:
                            continue
                        a = text.find(word, pos)
                        if a < 0:
                            continue
                        s = self.sentence_at(a)
                        add(Mention(word, a, a + len(word), s.idx, "example",
                                    category=self._category_name(body)))

    def _brand_links(self, add) -> None:
        """'mailbox.org (Heinlein Support GmbH, …)': the legal entity belongs to the brand before the bracket."""
        text = self.text
        for m in list(self.mentions):
            if not m.legal_form or m.start == 0:
                continue
            before = text[max(0, m.start - 40):m.start]
            b = re.search(r"([\w][\w.-]*\.[a-z]{2,}|[A-Z][\w]*[A-Z][\w]*)\s*\($", before)
            if b:
                brand = b.group(1)
                a = m.start - len(before) + b.start(1)
                s = self.sentence_at(a)
                add(Mention(brand, a, a + len(brand), s.idx, "brand"))
                m.entity_of = brand

    def _table_mentions(self, group, add) -> None:
        text = self.text
        roles: dict[int, str] = {}
        for i, head in enumerate(group.header):
            for role, pattern in vocab.table_columns():
                if role not in roles.values() and i not in roles and pattern.search(head):
                    roles[i] = role
        if "name" not in roles.values():
            if not group.header:
                return
            roles.setdefault(0, "name")
        for item in group.items:
            blk = self.lay.blocks[item]
            cells = blk.cells
            col = {roles[i]: cells[i] for i in roles if i < len(cells)}
            if "name" not in col:
                continue
            a, b = col["name"]
            name = text[a:b].strip()
            clean = _cell_text(name)
            if clean != name and clean:
                a += max(name.find(clean.split()[0]), 0)
                name = clean
                b = a + len(name) if text[a:a + len(name)] == name else b
            paren = re.match(r"(.+?)\s*\((.+)\)$", name)
            s = self.sentence_at(a)
            mention = Mention(name, a, b, s.idx, "table", legal_form=bool(vocab.legal_forms().search(name)))
            _, vpattern, by_name = vocab.vendors()
            v = vpattern.search(name)
            if v:
                mention.vendor = by_name[v.group(0)]
            else:
                mention.vendor = vocab.vendor_near(name.split(" (")[0])  # "Sendgrid, Inc.", "Sentry.io"
            if paren:
                mention.name = paren.group(1)
                mention.entity = paren.group(2)
                mention.end = a + len(paren.group(1))
            if "location" in col:
                x, y = col["location"]
                cell = text[x:y]
                places = _places_in(text, x, y, [])
                code = next((p[2] for p in places if p[2]), None) or reference.resolve_country(cell)
                if code and code != "EEA":
                    mention.country, mention.country_source = code, "text"
                elif places and places[0][2]:
                    mention.country, mention.country_source = places[0][2], "address"
                elif code == "EEA" or any(p[3] == "EEA" for p in places) or re.search(r"\b(EEA|EU|EER|EWR)\b", cell):
                    mention.region, mention.country_source = "EEA", "text"
                mention.place_evidence = s.idx
                mention.more_places = [p[2] for p in places if p[2] and p[2] != mention.country]
            if "mechanism" in col:
                x, y = col["mechanism"]
                mech = reference.resolve_mechanism(_masked(text[x:y]))
                if mech and mech != "none":
                    mention.mechanism, mention.mechanism_sentence = mech, s.idx
            add(mention)

    def _category_name(self, body: str) -> str:
        name = re.split(r"\s*[(,:;]|\.$|\s+[–—-]\s+", body.strip(), maxsplit=1)[0].strip().rstrip(".")
        # drop a trailing clause: "Authorities in accordance with our legal obligations" -> "Authorities"
        name = re.split(r"\s+(?:in accordance|in overeenstemming|gemäß|entsprechend|if|indien|wanneer|when|where|"
                        r"wenn|sofern|insofar|voor zover|who|which|that|die|dat|welche)\b", name, maxsplit=1)[0]
        return name.strip()

    # -- filters ------------------------------------------------------------------
    def filter_mentions(self, controller: str | None) -> None:
        ckey = self._key(controller) if controller else None
        lay, text = self.lay, self.text
        for m in self.mentions:
            s = lay.sentences[m.sentence]
            blk = lay.blocks[s.block]
            m.key = self._key(m.name) if not m.vendor else m.vendor
            if ckey and (m.key == ckey or (m.key and ckey.startswith(m.key + " ")) or
                         (ckey and m.key.startswith(ckey + " "))):
                m.status, m.reason = "controller", "the controller itself"
                continue
            sent = _masked(s.text, _EMAIL_OR_URL)
            if m.name not in sent and m.via != "table":
                m.status, m.reason = "not_a_recipient", "named only in a URL or e-mail address"
                continue
            if vocab.cue("non_recipient").search(sent) and m.via in ("legal_form", "gazetteer") \
                    and not vocab.cue("service").search(sent.replace(m.name, " ")):
                m.status, m.reason = "not_a_recipient", "named as a complaint channel, group member or the like"
                continue
            role = next((c for c in vocab.cue("source_role").finditer(sent)
                         if c.end() <= m.start - s.start <= c.end() + 160), None)
            if role is not None and m.via != "table":
                m.status, m.reason = "not_a_recipient", f"named as a source of data or a tool's maker ({role.group(0)!r})"
                continue
            if m.via == "legal_form" and not m.vendor:
                context = sent + " " + " ".join(self.headings(s.section)[:1])
                in_list = blk.kind in ("item", "row") and (blk.kind == "row" or self.recipient_list(blk.idx))
                if not (in_list or vocab.cue("service").search(context) or vocab.cue("transfer").search(sent)):
                    m.weak = True
                if vocab.cue("non_recipient").search(sent):
                    m.status, m.reason = "not_a_recipient", "named as a complaint channel, group member or the like"
                    continue
            if blk.kind == "item" and vocab.cue("staff").search(text[blk.start:blk.end][:60]) and m.via != "gazetteer":
                m.status, m.reason = "not_a_recipient", "staff of the controller"
                continue
            block_text = text[blk.start:blk.end]
            host = m.vendor is not None and "hosting" in next((v.kind for v in vocab.vendors()[0] if v.id == m.vendor), "")
            # "self-hosted MTA on Hetzner": Hetzner hosts; a sub-processor table's row names a recipient whatever
            # its cells say of the customer's product ("Workflows (Self-Hosted Offerings)")
            if vocab.cue("self_hosted").search(block_text) and not host and m.via != "table":
                m.status, m.reason = "self_hosted", "served from the controller's own server (self-hosted)"
                continue
            removal = vocab.cue("removed").search(sent)
            heading_removed = any(vocab.cue("removed").search(h) for h in self.headings(s.section)[:1])
            intro = self.list_intro_text(blk.idx) if blk.kind in ("item", "row") else ""
            if heading_removed or (intro and vocab.cue("removed").search(intro)):
                m.status, m.reason = "removed", "listed as removed / no longer used"
                continue
            if removal:
                rep = vocab.cue("replaced").search(sent)
                if rep and s.start + rep.end() <= m.start:
                    continue  # the replacement is the new vendor
                m.status, m.reason = "removed", "said to be removed / no longer used"

    def _spread_self_hosting(self) -> None:
        """"We host Matomo on our own servers" speaks for every mention of that same name."""
        hosted = {m.name.casefold() for m in self.mentions if m.status == "self_hosted"}
        for m in self.mentions:
            if m.status == "active" and m.name.casefold() in hosted:
                m.status, m.reason = "self_hosted", "said elsewhere to run on the controller's own servers"

    @staticmethod
    def _key(name: str) -> str:
        name = vocab.legal_forms().sub(" ", name)
        tokens = [t for t in re.findall(r"[\w.+]+", name.casefold()) if t not in _GENERIC_NAME_WORDS]
        return " ".join(t.strip(".") for t in tokens)

    # -- places -------------------------------------------------------------------
    def locate(self) -> None:
        lay, text = self.lay, self.text
        active = [m for m in self.mentions if m.status == "active"]
        by_sentence: dict[int, list[Mention]] = {}
        for m in active:
            by_sentence.setdefault(m.sentence, []).append(m)
        for sidx, ms in by_sentence.items():
            s = lay.sentences[sidx]
            skip = [(a, b) for a, b, _, _ in self.mechs(s)]
            eu = vocab.cue("eu_users")
            skip += [(s.start + e.start(), s.start + e.end()) for e in eu.finditer(s.text)]
            names = [(m.start, m.end) for m in ms]
            places = _places_in(text, s.start, s.end, skip + names)
            for k, m in enumerate(sorted(ms, key=lambda x: x.start)):
                if m.country or m.region:
                    continue
                nxt = min([x.start for x in ms if x.start > m.start] + [s.end])
                prv = max([x.end for x in ms if x.end <= m.start] + [s.start])
                after = [p for p in places if m.end <= p[0] < nxt]
                before = [p for p in places if prv <= p[0] < m.start]
                eu_before = eu.search(text[prv:m.start])
                if eu_before:
                    m.eu_entity = True
                if re.search(r"\b(Ireland|Ierland|Irland|Europe|EMEA|Deutschland|Nederland)\b", m.name):
                    m.eu_entity = True
                if not after and nxt < s.end and re.fullmatch(r"\s*(,|and|en|und|or|of|oder|&)\s*", text[m.end:nxt]):
                    # "Microsoft and Mailchimp may process data in the United States": both are placed there
                    chain_end = nxt
                    for x in sorted(ms, key=lambda x: x.start):
                        if x.start >= nxt and re.fullmatch(r"\s*(,|and|en|und|or|of|oder|&)?\s*", text[chain_end:x.start]):
                            chain_end = x.end
                    nxt2 = min([x.start for x in ms if x.start > chain_end] + [s.end])
                    after = [p for p in places if chain_end <= p[0] < nxt2]
                pick = after[0] if after else (before[-1] if before else None)
                if pick:
                    m.country, m.region = pick[2], pick[3]
                    m.country_source = "text" if pick[4] in ("country", "region") else "address"
                    m.place_evidence = sidx
                    continue
                inside = _places_in(text, m.start, m.end, [])
                if inside and inside[0][2]:
                    m.country, m.country_source, m.place_evidence = inside[0][2], "entity name", sidx
                    continue
                blk = lay.blocks[s.block]
                if blk.kind in ("item", "row") and blk.list_id is not None:
                    group = lay.lists[blk.list_id]
                    intro_blocks = [group.intro] if group.intro is not None else []
                    if intro_blocks and lay.blocks[intro_blocks[0]].list_id is not None:
                        pg = lay.lists[lay.blocks[intro_blocks[0]].list_id]
                        if pg.intro is not None:
                            intro_blocks.append(pg.intro)
                    for ib in intro_blocks:
                        b = lay.blocks[ib]
                        pl = [p for p in _places_in(text, b.start, b.end, []) if p[2] or p[3]]
                        if pl:
                            m.country, m.region, m.country_source = pl[0][2], pl[0][3], "list introduction"
                            m.place_evidence = lay.sentences_of_block(ib)[0].idx
                            break
                    if m.country or m.region:
                        continue
                sec = lay.sections[s.section]
                if sec.heading_block is not None and len(sec.title) <= 40:
                    hb = lay.blocks[sec.heading_block]
                    pl = [p for p in _places_in(text, hb.start, hb.end, []) if p[2]]
                    if pl:
                        m.country, m.country_source = pl[0][2], "section heading"
                        m.place_evidence = lay.sentences_of_block(hb.idx)[0].idx

    # -- recipients ------------------------------------------------------------------
    def cluster(self) -> list[list[Mention]]:
        vendor_names = {v.id: v.name for v in vocab.vendors()[0]}
        clusters: dict[str, list[Mention]] = {}
        order: list[str] = []
        brand_of = {}
        for m in self.mentions:
            if m.status != "active":
                continue
            if m.entity_of:
                brand_of[m.key] = self._key(m.entity_of)
        # each row of a table is its own recipient, even where the gazetteer files two rows under one vendor
        # ("Slack" and "Salesforce", "Google Analytics" and "Google Cloud"); other names inside a row join it
        row_key: dict[int, str] = {}
        for m in self.mentions:
            if m.status == "active" and m.via == "table" and m.vendor:
                row_key[self.lay.sentences[m.sentence].block] = f"{m.key}/{self._key(m.name)}"
        for m in sorted((m for m in self.mentions if m.status == "active"), key=lambda m: m.start):
            key = brand_of.get(m.key, m.key)
            block = self.lay.sentences[m.sentence].block
            if block in row_key and (m.via == "table" or m.vendor):
                key = row_key[block]
            if not key:
                continue
            target = None
            for k in order:
                if k == key:
                    target = k
                    break
                if not m.vendor and not clusters[k][0].vendor:
                    kt, mt = k.split(), key.split()
                    if (kt[:len(mt)] == mt or mt[:len(kt)] == kt) and min(len(kt), len(mt)) >= 1:
                        target = k
                        break
            if target is None and not m.vendor:
                # "Digital Ocean LLC" and gazetteer "DigitalOcean"; "Crazy Inc." and gazetteer "Crazy Egg"
                flat = key.replace(" ", "")
                for k in order:
                    first = clusters[k][0]
                    if not first.vendor:
                        continue
                    vkey = self._key(vendor_names.get(first.vendor, ""))
                    if flat == vkey.replace(" ", "") or vkey.split()[:len(key.split())] == key.split():
                        target = k
                        break
            if target is None:
                target = key
                order.append(key)
                clusters[key] = []
            clusters[target].append(m)
        removed_sections = {}
        for m in self.mentions:
            if m.status == "removed":
                removed_sections.setdefault(m.vendor or m.key, set()).add(self.lay.sentences[m.sentence].section)
        out = []
        for k in order:
            ms = clusters[k]
            gone = removed_sections.get(ms[0].vendor or k)
            if gone and all(self.lay.sentences[m.sentence].section in gone for m in ms):
                for m in ms:
                    m.status, m.reason = "removed", "its section says it is removed / no longer used"
                continue
            if all(m.weak for m in ms):
                for m in ms:
                    m.status, m.reason = "not_a_recipient", "a company named without any service or disclosure"
                continue
            out.append(ms)
        return out

    def build_recipient(self, ms: list[Mention]) -> Recipient:
        lay, text = self.lay, self.text
        vendors = {v.id: v for v in vocab.vendors()[0]}
        vendor = next((vendors[m.vendor] for m in ms if m.vendor), None)
        brand = next((m for m in ms if m.via == "brand"), None)
        entities = [m for m in ms if m.legal_form]
        placed = [m for m in ms if m.country or m.region]
        eu = [m for m in placed if m.eu_entity and m.country and reference.is_eea(m.country)]
        primary = eu[0] if eu else (placed[0] if placed else None)
        surfaces = [m.name for m in ms if m.vendor and not m.legal_form]
        if brand:
            name = brand.name
        elif vendor is not None and (vendor.name in surfaces or surfaces):
            # the brand as the text writes it; the legal entity goes to ``entity``
            name = vendor.name if vendor.name in surfaces else surfaces[0]
        elif primary is not None and primary.legal_form:
            name = primary.name
        elif entities:
            name = entities[0].name
        else:
            name = ms[0].name
        entity = next((m.entity for m in ms if m.entity), None)
        if entity:
            pass
        elif brand and entities:
            entity = entities[0].name
        elif primary is not None and primary.legal_form:
            entity = primary.name
        elif entities:
            entity = entities[0].name
        anchor = primary or next((m for m in ms if m.via in ("list_item", "table", "legal_form")), ms[0])
        s = lay.sentences[anchor.sentence]
        r = Recipient(name=name, country=None, mechanism="none", role="processor", evidence=s.text,
                      start=s.start, end=s.end, entity=entity, mentions=ms,
                      sentences=sorted({m.sentence for m in ms}))
        if primary is not None:
            r.country, r.region, r.country_source = primary.country, primary.region, primary.country_source
            if r.country and reference.is_eea(r.country) is False and r.region is None:
                r.region = None
        seen = set()
        for m in placed:
            key = (m.country, m.region)
            if key in seen:
                continue
            seen.add(key)
            ps = lay.sentences[m.place_evidence] if m.place_evidence is not None else lay.sentences[m.sentence]
            r.locations.append({"country": m.country, "region": m.region, "source": m.country_source,
                                "entity": m.name, "evidence": ps.text, "start": ps.start, "end": ps.end})
            for extra in m.more_places:
                if (extra, None) not in seen:
                    seen.add((extra, None))
                    r.locations.append({"country": extra, "region": None, "source": m.country_source,
                                        "entity": m.name, "evidence": ps.text, "start": ps.start, "end": ps.end})
        if vendor is not None:
            r.gazetteer = {"id": vendor.id, "entity": vendor.entity or None, "country": vendor.country or None,
                           "eu_entity": vendor.eu_entity or None, "eu_country": vendor.eu_country or None,
                           "kind": vendor.kind}
            if r.country is None and r.region is None and vendor.country:
                r.country, r.country_source = vendor.country, "gazetteer"
        cats = [m.category for m in ms if m.category]
        r.category = cats[0] if cats else None
        r.role = self._role(ms, vendor)
        r.dpa = True if any(vocab.cue("dpa").search(self.block_text(lay.sentences[m.sentence].block))
                            for m in ms) else None
        return r

    def _role(self, ms: list[Mention], vendor) -> str:
        found = set()
        for m in ms:
            s = self.lay.sentences[m.sentence]
            blk = self.lay.blocks[s.block]
            texts = [s.text]
            if blk.kind in ("item", "row"):
                texts.append(self.list_intro_text(blk.idx))
            for t in texts:
                for role, kind in (("joint_controller", "role_joint"), ("independent_controller", "role_controller"),
                                   ("subprocessor", "role_subprocessor"), ("processor", "role_processor")):
                    if vocab.cue(kind).search(t):
                        found.add(role)
                        break
        for role in _ROLE_ORDER:
            if role in found:
                return role
        if vendor is not None and vendor.default_role:
            return vendor.default_role
        return "processor"

    # -- mechanisms --------------------------------------------------------------------
    def attach_mechanisms(self, recipients: list[Recipient]) -> None:
        lay, text = self.lay, self.text
        by_sentence: dict[int, list[Recipient]] = {}
        for r in recipients:
            for si in r.sentences:
                by_sentence.setdefault(si, []).append(r)
        assigned: dict[int, list[tuple[str, str, Sentence]]] = {}

        def give(r: Recipient, mech: str, source: str, s: Sentence) -> None:
            assigned.setdefault(id(r), []).append((mech, source, s))

        no_transfer = [s for s in lay.sentences if vocab.cue("no_transfer").search(_masked(s.text))]
        for s in no_transfer:
            self.claims.append({"kind": "no_transfer", "mechanism": None, "evidence": s.text, "start": s.start,
                                "end": s.end})
        nt_ids = {s.idx for s in no_transfer}

        # table cells
        for r in recipients:
            for m in r.mentions:
                if m.mechanism:
                    give(r, m.mechanism, "explicit", lay.sentences[m.mechanism_sentence])
        for s in lay.sentences:
            mechs = [x for x in self.mechs(s) if not x[3]]
            if not mechs or s.idx in nt_ids:
                continue
            if s.kind == "row":
                continue
            named = by_sentence.get(s.idx, [])
            if named:
                for r in named:
                    best = self._nearest(r, s, mechs)
                    give(r, best, "explicit", s)
                self.claims.append({"kind": "recipient", "mechanism": self._pick([x[2] for x in mechs]),
                                    "evidence": s.text, "start": s.start, "end": s.end,
                                    "recipients": [r.name for r in named]})
                continue
            mech = self._pick([x[2] for x in mechs])
            if self._about_controller(s):
                # "Range Labs Inc. is certified under the Privacy Shield": the controller's own import, no recipient's
                self.claims.append({"kind": "controller", "mechanism": mech, "evidence": s.text, "start": s.start,
                                    "end": s.end, "recipients": []})
                continue
            targets, kind = self._claim_targets(s, recipients, by_sentence)
            self.claims.append({"kind": kind, "mechanism": mech, "evidence": s.text, "start": s.start, "end": s.end,
                                "recipients": [r.name for r in targets]})
            for r in targets:
                in_eea = r.region == "EEA" or (r.country and r.country_source != "gazetteer"
                                                and reference.is_eea(r.country))
                abroad = any(loc["country"] and not reference.is_eea(loc["country"]) for loc in r.locations)
                if kind in ("group", "blanket") and in_eea and not abroad and mech not in _INVALIDATED:
                    continue  # "these US processors ...": not the one hosted in Frankfurt
                give(r, mech, kind, s)

        blanket = [c for c in self.claims if c["kind"] == "blanket"]
        for r in recipients:
            got = assigned.get(id(r), [])
            order = {"explicit": 0, "table": 0, "section": 1, "group": 2, "blanket": 3}
            if got:
                best_tier = min(order.get(src, 3) for _, src, _ in got)
                tier = [g for g in got if order.get(g[1], 3) == best_tier]
                mech = self._pick([g[0] for g in tier])
                src, s = next((g[1], g[2]) for g in tier if g[0] == mech)
                r.mechanism, r.mechanism_source = mech, src
                r.mechanism_evidence = {"evidence": s.text, "start": s.start, "end": s.end}
                r.mechanisms = sorted({g[0] for g in got})
            if no_transfer and r.country is None and r.region is None or (
                    no_transfer and r.country_source == "gazetteer"):
                r.region, r.country, r.country_source = "EEA", None, "no-transfer statement"
                s = no_transfer[0]
                r.locations.append({"country": None, "region": "EEA", "source": "no-transfer statement",
                                    "entity": r.name, "evidence": s.text, "start": s.start, "end": s.end})
            if r.mechanism_source == "blanket" and (r.region == "EEA" or (r.country and reference.is_eea(r.country)
                                                                          and r.country_source != "gazetteer")):
                r.mechanism, r.mechanism_source, r.mechanism_evidence = "none", "none", None
                r.mechanisms = [m for m in r.mechanisms if m not in {c["mechanism"] for c in blanket}]

    def _nearest(self, r: Recipient, s: Sentence, mechs) -> str:
        spots = [m.start for m in r.mentions if m.sentence == s.idx]
        if not spots:
            return self._pick([x[2] for x in mechs])
        pos = spots[0]
        after = [x for x in mechs if x[0] >= pos]
        pool = after or mechs
        return self._pick([x[2] for x in pool])

    def _about_controller(self, s: Sentence) -> bool:
        """Whether a sentence that names no recipient states the controller's own certification or mechanism."""
        name = getattr(self, "_controller_name", None)
        subject = re.match(r"\s*(?:we|wij|wir)\b[^.]{0,60}?\b(?:are|is|zijn|sind)\b", s.text, re.I)
        if subject and vocab.cue("certified").search(s.text):
            return True
        if not name or not self._key(name):
            return False
        first = self._key(name).split()[0]
        if any(re.search(r"\b" + re.escape(first) + r"\b", s.text[max(0, a - s.start - 90):a - s.start], re.I)
               for a, _, _, _ in self.mechs(s)):
            return True  # "Range Labs Inc. is certified under the … Privacy Shield", "see Range's Privacy Shield Policy"
        if s.idx > 0 and not s.first:  # "… Privacy Shield / Framework and adheres to its Principles." (a wrapped line)
            prev = self.lay.sentences[s.idx - 1]
            return prev.block == s.block and any(c["kind"] == "controller" and c["start"] == prev.start for c in self.claims)
        return False

    @staticmethod
    def _pick(mechs: list[str]) -> str:
        """Of several mechanisms claimed together: invalidated first (to be flagged), then specific, then generic."""
        return min(mechs, key=lambda m: (0 if m in _INVALIDATED else 2 if m in _GENERIC_MECH else 1, mechs.index(m)))

    def _claim_targets(self, s: Sentence, recipients: list[Recipient], by_sentence) -> tuple[list[Recipient], str]:
        lay = self.lay
        group_ref = vocab.cue("group_ref").search(s.text)
        blk = lay.blocks[s.block]
        # an introduction ending with ':' speaks for its list
        if s.text.rstrip().endswith(":"):
            lists = [g for g in lay.lists if g.intro == blk.idx]
            if lists:
                members = self._recipients_in_blocks(recipients, set(lists[0].items))
                if members:
                    return members, "group"
        if group_ref:
            # the list just before this sentence
            prev = next((b for b in reversed(lay.blocks[:blk.idx]) if b.kind in ("item", "row")
                         and b.section in lay.section_chain(blk.section)), None)
            if prev is not None and prev.list_id is not None:
                members = self._recipients_in_blocks(recipients, set(lay.lists[prev.list_id].items))
                if members:
                    return members, "group"
            earlier = [r for r in recipients if self._first_in_section(r).get(s.section, s.idx) < s.idx]
            if earlier:
                return earlier, "group"
        if s.idx > 0 and not s.first:
            prev = lay.sentences[s.idx - 1]
            named = by_sentence.get(prev.idx, [])
            if named and prev.block == s.block and vocab.cue("transfer").search(prev.text + " " + s.text):
                return named, "group"  # "Microsoft and Mailchimp may process data in the US. SCCs apply to that."
        chain = lay.section_chain(s.section)
        here = [r for r in recipients if chain[0] in self._first_in_section(r)]
        heads = " ".join(self.headings(s.section)[:2])
        transfer_section = bool(re.search(r"\b(transfer|doorgifte|overdracht|Übermittlung|Drittl|outside|buiten|"
                                          r"außerhalb|international)", heads, re.I))
        if len(here) == 1 and not transfer_section and s.section != 0:
            return here, "section"
        if not here and len(chain) > 2:
            # "### Disqus" > "#### Data transfer outside the EU": a vendor's own sub-section speaks for that vendor
            parent = [r for r in recipients if chain[1] in self._first_in_section(r)]
            if len(parent) == 1 and self._section_names_no_other(chain[0]):
                return parent, "section"
        if vocab.cue("transfer").search(s.text) or transfer_section:
            return [r for r in recipients], "blanket"
        return [], "unassigned"

    def _section_names_no_other(self, section: int) -> bool:
        """Whether a section (a sub-heading's text) names no organisation at all, active or not."""
        return not any(self.lay.sentences[m.sentence].section == section for m in self.mentions)

    def _first_in_section(self, r: Recipient) -> dict[int, int]:
        """section -> the first sentence naming ``r`` in it (kept per recipient while mechanisms are placed)."""
        key = (id(r), len(r.sentences))
        if key not in self._sections_cache:
            first: dict[int, int] = {}
            for i in r.sentences:
                sec = self.lay.sentences[i].section
                first[sec] = min(first.get(sec, i), i)
            self._sections_cache[key] = first
        return self._sections_cache[key]

    def _recipients_in_blocks(self, recipients: list[Recipient], blocks: set[int]) -> list[Recipient]:
        out = []
        for r in recipients:
            if any(self.lay.sentences[i].block in blocks for i in r.sentences):
                out.append(r)
        return out

    # -- categories ---------------------------------------------------------------------
    def categories(self, recipients: list[Recipient]) -> list[Recipient]:
        """Recipients-list items that name a kind of recipient rather than an organisation."""
        lay, text = self.lay, self.text
        named_blocks = {self.lay.sentences[i].block for r in recipients for i in r.sentences}
        example_blocks = {lay.sentences[m.sentence].block for m in self.mentions if m.via == "example"}
        ignored_blocks = {lay.sentences[m.sentence].block for m in self.mentions if m.status != "active"
                          and m.status != "controller"}
        parents = {g.parent_item for g in lay.lists if g.parent_item is not None}
        parents |= {g.intro for g in lay.lists if g.intro is not None}
        out = []
        for blk in lay.blocks:
            if blk.kind != "item" or blk.idx in parents or blk.idx in named_blocks or blk.idx in example_blocks \
                    or blk.idx in ignored_blocks:
                continue
            if not self.recipient_list(blk.idx):
                continue
            body = text[blk.start:blk.end]
            if vocab.cue("staff").search(body[:60]) or len(body) > 220:
                continue
            if vocab.cue("clause_item").match(body) or (self.language == "de" and body[:1].islower()):
                continue  # "(a) comply with applicable law", "im Zusammenhang mit der Vertragsabwicklung"
            name = self._category_name(body)
            examples = re.search(r"\(([^)]*)\)", body)
            if examples and not vocab.cue("example").search(examples.group(1)) and len(examples.group(1)) < 60:
                name = f"{name} ({examples.group(1)})"
            else:
                em = vocab.cue("example").search(body)
                if em and em.start() < 80:
                    tail = re.split(r"[,;.]", body[em.end():].strip(), maxsplit=1)[0].strip()
                    if tail and len(tail) < 40:
                        name = f"{name} ({em.group(0)} {tail})"
            if not name or len(name) > 120:
                continue
            phrase = name
            label = next((lab for lab, p in vocab.recipient_categories() if p.search(name.split(" (")[0])), None) \
                or next((lab for lab, p in vocab.recipient_categories() if p.search(body)), None)
            if label and self.language != "en":
                name = f"{label} ({phrase})"  # an English label for the register, the text's words kept
            s = lay.sentences_of_block(blk.idx)[0]
            role = self._role([Mention(name, blk.start, blk.end, s.idx, "category")], None)
            if re.search(r"\b(authorit|overheid|regelgev|Behörde|police|politie|Polizei|government)", body, re.I):
                role = "authority"
            out.append(Recipient(name=name, country=None, mechanism="none", role=role, evidence=s.text,
                                 start=s.start, end=s.end, is_category=True, category=label or phrase,
                                 sentences=[s.idx]))
        return out

    # -- engaged_by ----------------------------------------------------------------------
    def engagements(self, recipients: list[Recipient]) -> None:
        for r in recipients:
            for si in r.sentences:
                s = self.lay.sentences[si]
                m = vocab.cue("engaged_by").search(s.text)
                if not m:
                    continue
                after = s.start + m.end()
                for other in recipients:
                    if other is r:
                        continue
                    if any(x.sentence == si and 0 <= x.start - after <= 5 for x in other.mentions):
                        r.engaged_by = other.name
                        r.role = "subprocessor"

    # -- activities -------------------------------------------------------------------------
    def activities(self, recipients: list[Recipient]) -> list[Activity]:
        lay, text = self.lay, self.text
        fields = vocab.heading_fields()

        seen_titles: dict[str, str | None] = {}

        def field_of(title: str) -> str | None:
            if title not in seen_titles:
                seen_titles[title] = next((f for f, p in fields if p.search(title)), None)
            return seen_titles[title]

        # a section's activity: itself, unless its heading names a field (then its parent's)
        owner: dict[int, int | None] = {}
        general: set[int] = set()
        for sec in lay.sections:
            f = field_of(sec.title) if sec.title else "general"
            if sec.parent in general and sec.parent != 0:
                f = "rights"   # the rights listed under "Your rights" describe no activity either
            if f == "rights":
                general.add(sec.idx)
                f = "general"
            if sec.idx and f is None and sec.parent and self._only_places(sec.title):
                f = "place"    # "8.1 Frankfurt" under "Where are your data stored?"
            if sec.idx == 0:
                owner[0] = None
            elif f == "place":
                owner[sec.idx] = owner.get(sec.parent) if owner.get(sec.parent) is not None else sec.idx
            elif f in ("purpose", "legal_basis", "categories", "retention", "objection", "recipients", "transfer"):
                parent = sec.parent if sec.parent is not None else 0
                owner[sec.idx] = owner.get(parent, None) if parent else -1
                if parent and owner.get(parent) is None and lay.sections[parent].title:
                    owner[sec.idx] = -1
            elif f == "general":
                owner[sec.idx] = None
            else:
                owner[sec.idx] = sec.idx
        groups: dict[int, list[int]] = {}
        for sec_idx, own in owner.items():
            if own is not None:
                groups.setdefault(own, []).append(sec_idx)
        rec_by_sentence: dict[int, list[Recipient]] = {}
        for r in recipients:
            for si in r.sentences:
                rec_by_sentence.setdefault(si, []).append(r)
        by_section: dict[int, list[Sentence]] = {}
        for s in lay.sentences:
            if s.kind != "heading":
                by_section.setdefault(s.section, []).append(s)
        out = []
        for own, secs in sorted(groups.items(), key=lambda kv: (kv[0] == -1, kv[0])):
            sents = sorted((s for sec in secs for s in by_section.get(sec, [])), key=lambda s: s.idx)
            if not sents:
                continue
            body = " ".join(s.text for s in sents)
            bases = self._legal_bases(body)
            recips = []
            for s in sents:
                for r in rec_by_sentence.get(s.idx, []):
                    if r.name not in recips:
                        recips.append(r.name)
            retention = self._retention(sents)
            if own == -1:
                name = "General processing described in the notice"
            else:
                name = lay.sections[own].title.strip().rstrip(":")
                name = name[:1].upper() + name[1:]
            if not (bases or recips or retention) and own == -1:
                continue
            if not (bases or recips or retention):
                continue
            purpose = self._purpose(sents, secs, field_of)
            cats = self._data_categories(sents)
            subjects = self._data_subjects(" ".join([body] + [lay.sections[x].title for x in secs]))
            first = sents[0]
            out.append(Activity(name=name, purpose=purpose, legal_basis=bases, data_categories=cats,
                                data_subjects=subjects, retention=retention, recipients=recips,
                                evidence=first.text, start=first.start, end=first.end, sections=secs))
        # recipients named outside every activity go to a general one
        placed = {n for a in out for n in a.recipients}
        loose = [r.name for r in recipients if r.name not in placed]
        if loose:
            general = next((a for a in out if a.name.startswith("General processing")), None)
            if general is None:
                first = recipients[0]
                general = Activity(name="General processing described in the notice", purpose=None, legal_basis=[],
                                   data_categories=[], data_subjects=[], retention=None, recipients=[],
                                   evidence=first.evidence, start=first.start, end=first.end)
                out.append(general)
            general.recipients.extend(loose)
        return out

    @staticmethod
    @lru_cache(maxsize=4096)
    def _only_places(title: str) -> bool:
        """Whether a heading is nothing but place names ("Falkenstein / Nuremberg")."""
        rest = _country_pattern()[0].sub(" ", title)
        rest = vocab.places()[0].sub(" ", rest)
        return rest != title and not re.sub(r"[\W\d_]|\b(and|en|und|or|of|oder)\b", "", rest, flags=re.I).strip()

    @staticmethod
    def _retention(sents: list[Sentence]) -> str | None:
        """The sentence that best states a retention period: a duration first, then 'as long as'-style."""
        cue = vocab.cue("retention")
        duration = re.compile(r"\b\d+\s*(?:days?|weeks?|months?|years?|dagen|weken|maanden|maand|jaar|jaren|Tage[n]?|"
                              r"Wochen|Monate[n]?|Jahre[n]?|minut\w*|hours?|uur|Stunden)\b|\b(?:one|two|three|six|twelve|"
                              r"een|twee|drie|zes|ein\w*|zwei|drei|sechs|zehn)\s+(?:days?|weeks?|months?|years?|dagen|"
                              r"weken|maanden|jaar|jaren|Tage|Wochen|Monate|Jahre)\b", re.I)
        until = re.compile(r"as long as|zolang|solange|until|totdat|\bbis\b", re.I)
        once = re.compile(r"sobald|zodra|as soon as", re.I)
        strong = [s for s in sents if cue.search(s.text) and duration.search(s.text)]
        if strong:
            return strong[0].text
        deletion = re.compile(r"verwijder|gewist|wissen|delet|erase|gelöscht|lösch|retain|retention|"
                              r"aufbewahr|Speicherdauer", re.I)
        soft = [s for s in sents if cue.search(s.text) and (until.search(s.text) or
                                                             (once.search(s.text) and deletion.search(s.text)))]
        return soft[0].text if soft else None

    @staticmethod
    def _legal_bases(body: str) -> list[str]:
        letters = []
        for m in re.finditer(r"\b(?:Art(?:ikel|icle|\.)?\s*)?6\s*(?:\(1\)|,?\s*(?:lid|Abs\.?|para(?:graph)?\.?)\s*1|\s+I)"
                             r"\s*,?\s*(?:(?:onder|lit\.?|letter|sub|point|punt|blz\.\s*1,\s*onder)\s*)?\(?([a-f])\b",
                             body, re.I):
            letters.append(m.group(1).lower())
        if vocab.legal_basis_prefilter().search(body):
            for letter, pattern in vocab.legal_bases():
                if pattern.search(body):
                    letters.append(letter)
        labels = {"a": "consent", "b": "contract", "c": "legal obligation", "d": "vital interests",
                  "e": "public task", "f": "legitimate interests"}
        seen = []
        for letter in letters:
            if letter not in seen:
                seen.append(letter)
        return [f"Art. 6(1)({x}) {labels[x]}" for x in sorted(seen)]

    def _purpose(self, sents: list[Sentence], secs: list[int], field_of) -> str | None:
        for s in sents:
            sec = self.lay.sections[s.section]
            if sec.title and field_of(sec.title) == "purpose":
                return s.text
        cue = vocab.cue("purpose")
        for s in sents:
            if cue.search(s.text) and len(s.text) < 400:
                return s.text
        return None

    def _data_categories(self, sents: list[Sentence]) -> list[str]:
        pattern, mapping = vocab.data_categories()
        found: list[str] = []
        for s in sents:
            for m in pattern.finditer(s.text):
                cat = mapping[m.group(0).casefold()]
                if cat not in found:
                    found.append(cat)
        return found

    @staticmethod
    def _data_subjects(body: str) -> list[str]:
        pattern, mapping = vocab.data_subjects()
        found: list[str] = []
        for m in pattern.finditer(body):
            subj = mapping[m.group(0).casefold()]
            if subj not in found:
                found.append(subj)
        return found

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
