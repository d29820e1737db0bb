"""The extractor's vocabularies, rules and gazetteer, read from ``data/extract/*.csv``.

Everything language-specific lives in those files (see ``data/extract/README.md``):
cue patterns per kind and language, section-heading fields, legal forms,
places (cities and US states), the vendor gazetteer, legal-basis wording,
data-category and data-subject terms, extra mechanism wording and supervisory
authorities. Loaders are cached and return plain tuples/dicts; patterns are
compiled once. Nothing here reads the network.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import ReferenceDataError

DATA_DIR = Path(__file__).resolve().parent.parent.parent / "data" / "extract"
LANGUAGES = ("en", "nl", "de")

__all__ = ["DATA_DIR", "LANGUAGES", "Vendor", "rows", "cue", "cue_kinds", "stopwords", "vendors", "places",
           "legal_forms", "heading_fields", "legal_bases", "data_categories", "data_subjects", "mechanism_cues",
           "authorities"]


@lru_cache(maxsize=None)
def rows(name: str) -> tuple[dict, ...]:
    """The rows of ``data/extract/<name>`` as dicts (cached).

    >>> rows("stopwords.csv")[0]["lang"]
    'en'
    """
    path = DATA_DIR / name
    try:
        with open(path, encoding="utf-8", newline="") as fp:
            return tuple(csv.DictReader(fp))
    except OSError as exc:
        raise ReferenceDataError(f"{path}: cannot read extraction data ({exc})") from exc


def trie_alternation(words) -> str:
    """A regex alternation of literal ``words`` as a trie, longest first at every branch: it matches what
    ``"|".join(map(re.escape, sorted(words, key=len, reverse=True)))`` matches, but tries one branch per
    character instead of every word at every position (several times faster on a long notice).

    >>> p = re.compile("(?:" + trie_alternation(["Mail", "Mailchimp", "Mailgun"]) + ")")
    >>> [p.match(w).group(0) for w in ("Mailchimp", "Mailgun", "Mailbox")]
    ['Mailchimp', 'Mailgun', 'Mail']
    """
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[None] = {}

    def emit(node: dict) -> str:
        alts = [re.escape(ch) + emit(node[ch]) for ch in sorted(k for k in node if k is not None)]
        if not alts:
            return ""
        body = "|".join(alts)
        if None in node:
            return f"(?:{body})?"
        return body if len(alts) == 1 else f"(?:{body})"

    return emit(trie) or "(?!)"


def _compile(name: str, row: int, pattern: str, flags=re.I) -> re.Pattern:
    try:
        return re.compile(pattern, flags)
    except re.error as exc:
        raise ReferenceDataError(f"{DATA_DIR / name}, row {row}, column 'pattern', value {pattern!r}: {exc}") from None


def _templates(name: str, slot: str):
    """Each row of ``name`` as (row number, row, text before ``slot``, text after it); a pattern without
    ``slot`` exactly once is refused with its file, row, column and value."""
    for i, r in enumerate(rows(name), start=2):
        if r["pattern"].count(slot) != 1:
            raise ReferenceDataError(f"{DATA_DIR / name}, row {i}, column 'pattern', value "
                                     f"{r['pattern']!r}: needs {slot} exactly once")
        before, after = r["pattern"].split(slot)
        yield i, r, before, after


@lru_cache(maxsize=None)
def _cues() -> dict[str, re.Pattern]:
    """kind -> one compiled alternation of that kind's patterns in every language."""
    by_kind: dict[str, list[str]] = {}
    for i, r in enumerate(rows("cues.csv"), start=2):
        _compile("cues.csv", i, r["pattern"])
        by_kind.setdefault(r["kind"], []).append(f"(?:{r['pattern']})")
    return {k: re.compile("|".join(v), re.I) for k, v in by_kind.items()}


def cue(kind: str) -> re.Pattern:
    """The compiled cue pattern of ``kind`` (all languages), e.g. ``cue("removed")``.

    >>> bool(cue("removed").search("We no longer use Hotjar."))
    True
    >>> bool(cue("self_hosted").search("Die Schriften sind lokal installiert."))
    True
    """
    try:
        return _cues()[kind]
    except KeyError:
        raise ReferenceDataError(f"{DATA_DIR / 'cues.csv'}: no cue of kind {kind!r}") from None


def cue_kinds() -> frozenset[str]:
    """The kinds cues.csv defines."""
    return frozenset(_cues())


@lru_cache(maxsize=None)
def stopwords() -> dict[str, frozenset[str]]:
    """lang -> its stop words (language detection)."""
    out: dict[str, set[str]] = {}
    for r in rows("stopwords.csv"):
        out.setdefault(r["lang"], set()).add(r["word"].casefold())
    return {k: frozenset(v) for k, v in out.items()}


@lru_cache(maxsize=None)
def legal_forms() -> re.Pattern:
    """A pattern matching a legal form (GmbH, Inc., B.V., ...) as a whole word at a name's end."""
    exact, anycase = [], []
    for r in sorted(rows("legal_forms.csv"), key=lambda r: -len(r["form"])):
        (anycase if r["case"] == "any" else exact).append(re.escape(r["form"]))
    return re.compile(r"(?:,\s*)?(?<![\w.])(?:(?:" + "|".join(exact) + r")|(?i:" + "|".join(anycase)
                      + r"))(?![\w/])(?:\s*&\s*Co\.\s*KG)?")


@lru_cache(maxsize=None)
def heading_fields() -> list[tuple[str, re.Pattern]]:
    """[(field, pattern)] for section headings that name one field of a record (or a general part)."""
    return [(r["field"], _compile("section_headings.csv", i, r["pattern"]))
            for i, r in enumerate(rows("section_headings.csv"), start=2)]


@dataclass(frozen=True)
class Vendor:
    """A gazetteer entry: a well-known processor and its usual legal entities."""

    id: str
    name: str
    names: tuple[str, ...]
    entity: str
    country: str
    eu_entity: str
    eu_country: str
    kind: str
    default_role: str


@lru_cache(maxsize=None)
def vendors() -> tuple[tuple[Vendor, ...], re.Pattern, dict[str, str]]:
    """(vendors, pattern finding any of their names, name -> vendor id).

    Names match case-sensitively as whole words, longest first.

    >>> vs, pattern, by_name = vendors()
    >>> by_name[pattern.search("We use Google Analytics.").group(0)]
    'google'
    """
    out = []
    by_name: dict[str, str] = {}
    for r in rows("vendors.csv"):
        names = tuple(n.strip() for n in [r["name"], *r["aliases"].split(";")] if n.strip())
        v = Vendor(r["id"], r["name"], names, r["entity"], r["country"], r["eu_entity"], r["eu_country"], r["kind"],
                   r["default_role"])
        out.append(v)
        for n in names:
            by_name.setdefault(n, v.id)
    alternation = trie_alternation(by_name)
    pattern = re.compile(r"(?<![\w.@/-])(?:" + alternation + r")(?![\w@]|\.\w)")
    return tuple(out), pattern, by_name


@lru_cache(maxsize=None)
def vendors_inner_case() -> tuple[re.Pattern, dict[str, str]]:
    """(pattern, case-folded name -> vendor id) for gazetteer names with an inner capital ("GitHub", "YouTube"),
    which prose often writes capitalised only ("Github", "Youtube"). A match must still start with a capital
    and differ from the listed name, so plain words ("slack", "stripe") stay words.

    >>> pattern, by_fold = vendors_inner_case()
    >>> by_fold[pattern.search("hosted on Github Pages").group(0).casefold()]
    'github'
    """
    _, _, by_name = vendors()
    by_fold = {n.casefold(): v for n, v in by_name.items() if re.search(r"[a-z][A-Z]", n) and " " not in n}
    pattern = re.compile(r"(?<![\w.@/-])(?:" + trie_alternation(sorted(by_fold)) + r")(?![\w@]|\.\w)", re.I)
    return pattern, by_fold


@lru_cache(maxsize=None)
def places() -> tuple[re.Pattern, dict[str, str], re.Pattern]:
    """(city pattern, city -> country, US 'ST 12345' address pattern).

    >>> pattern, country, us = places()
    >>> country[pattern.search("in Neurenberg").group(0).casefold()], bool(us.search("Reno, NV 89511"))
    ('DE', True)
    """
    cities: dict[str, str] = {}
    states = []
    for r in rows("places.csv"):
        if r["kind"] == "us_state":
            states.append(r["name"])
        else:
            cities[r["name"].casefold()] = r["country"]
    alternation = trie_alternation(cities)
    city_re = re.compile(r"(?<![\w-])(?:" + alternation + r")(?![\w-])", re.I)
    us_re = re.compile(r"(?<![\w])(?:" + "|".join(states) + r")\.?,?\s+\d{5}(?:-\d{4})?\b")
    return city_re, cities, us_re


@lru_cache(maxsize=None)
def address_formats() -> tuple[tuple[re.Pattern, str], ...]:
    """[(pattern, country)]: the shape of an address that gives its country where the town is in no list
    (address_formats.csv; matched with case as written).

    >>> [c for p, c in address_formats() if p.search("Heilbronner Straße 20,01189 Dresden")]
    ['DE']
    """
    out = []
    for i, r in enumerate(rows("address_formats.csv"), start=2):
        try:
            out.append((re.compile(r["pattern"]), r["country"]))
        except re.error as e:
            raise ReferenceDataError(f"{DATA_DIR / 'address_formats.csv'}, row {i}, column 'pattern', value "
                                     f"{r['pattern']!r}: {e}") from None
    return tuple(out)


@lru_cache(maxsize=None)
def legal_bases() -> list[tuple[str, re.Pattern]]:
    """[(Art. 6(1) letter, wording pattern)]."""
    return [(r["letter"], _compile("legal_bases.csv", i, r["pattern"]))
            for i, r in enumerate(rows("legal_bases.csv"), start=2)]


@lru_cache(maxsize=None)
def _loose_vendor_names() -> dict[str, str]:
    by_loose: dict[str, str] = {}
    for v in vendors()[0]:
        for n in v.names:
            by_loose.setdefault(loose_name(n), v.id)
    return by_loose


def loose_name(name: str) -> str:
    """A name as the gazetteer's near misses have it: case-folded, without a legal form (spaced or not), a
    web suffix or punctuation. "Sendgrid, Inc." -> "sendgrid", "Sentry.io" -> "sentry",
    "Acme S. à r. l." -> "acme"."""
    n = re.sub(r"(?<=\w)\.(?:io|com|co|ai|app|dev|net|org)\b", "", name)
    n = legal_forms().sub(" ", re.sub(r"\bS\.\s*à\s*r\.\s*l\.", " ", n))
    words = re.findall(r"\w+", n.casefold())
    if len(words) > 1 and words[0] == "the":
        words = words[1:]  # "The Rocket Science Group" written "Rocket Science Group, LLC"
    return " ".join(words)


def vendor_near(name: str) -> str | None:
    """The gazetteer vendor a table cell or list item names, allowing for case, a ``.io`` suffix and a spaced
    legal form (only where a name is expected: in prose "segment" is a word, in a sub-processor table a name).

    >>> vendor_near("Sendgrid, Inc."), vendor_near("Sentry.io"), vendor_near("AWS"), vendor_near("Lunch")
    ('sendgrid', 'sentry', 'aws', None)
    """
    return _loose_vendor_names().get(loose_name(name))


@lru_cache(maxsize=None)
def legal_basis_prefilter() -> re.Pattern:
    """All legal-basis wordings as one pattern: a text it does not match names none of them."""
    return re.compile("|".join(f"(?:{p.pattern})" for _, p in legal_bases()), re.I)


def _terms(name: str, column: str) -> tuple[re.Pattern, dict[str, str]]:
    mapping = {r["term"].casefold(): r[column] for r in rows(name)}
    alternation = trie_alternation(mapping)
    return re.compile(r"(?<![\w-])(?:" + alternation + r")(?![\w-])", re.I), mapping


@lru_cache(maxsize=None)
def data_categories() -> tuple[re.Pattern, dict[str, str]]:
    """(term pattern, term -> data category)."""
    return _terms("data_categories.csv", "category")


@lru_cache(maxsize=None)
def data_subjects() -> tuple[re.Pattern, dict[str, str]]:
    """(term pattern, term -> data subject category)."""
    return _terms("data_subjects.csv", "subject")


@lru_cache(maxsize=None)
def mechanism_cues() -> list[tuple[re.Pattern, str, str]]:
    """[(pattern, mechanism id, condition)] for mechanism wording in free text.

    ``condition`` is ``always`` or ``transfer`` (counts only in a sentence about
    an international transfer). The register's own aliases (data/reference) are
    added by the extractor with the same rule for the generic ones.
    """
    return [(_compile("mechanism_cues.csv", i, r"(?<!\w)(?:" + r["pattern"] + r")(?![\w])"), r["mechanism"],
             r["condition"]) for i, r in enumerate(rows("mechanism_cues.csv"), start=2)]


@lru_cache(maxsize=None)
def authorities() -> list[tuple[re.Pattern, str]]:
    """[(name pattern, country)] of supervisory authorities (a controller's country hint)."""
    return [(re.compile(r"(?<![\w])" + re.escape(r["name"]) + r"(?![\w])", re.I if len(r["name"]) > 4 else 0),
             r["country"]) for r in rows("authorities.csv")]


@lru_cache(maxsize=None)
def table_columns() -> list[tuple[str, re.Pattern]]:
    """[(column role, header pattern)]: which table column holds the name, location, mechanism or purpose."""
    return [(r["column"], _compile("table_columns.csv", i, r["pattern"]))
            for i, r in enumerate(rows("table_columns.csv"), start=2)]


@lru_cache(maxsize=None)
def recipient_categories() -> list[tuple[str, re.Pattern]]:
    """[(English label, pattern in EN/NL/DE)] of kinds of recipients, first match wins.

    >>> next(label for label, p in recipient_categories() if p.search("Overheidsadministraties"))
    'Government administrations and regulators'
    """
    return [(r["label"], _compile("recipient_categories.csv", i, r["pattern"]))
            for i, r in enumerate(rows("recipient_categories.csv"), start=2)]


# A name where controller_phrases.csv says {NAME}: capitalised words (or a domain such as "acme.io"), with
# "&", "and", "van", … between them; Markdown emphasis or a link's brackets around it are allowed.
_NAME = (r"(?P<n>(?:\*\*|\[)?(?:[A-Z0-9][\w&+'’.-]*|[a-z][a-z0-9]*[A-Z][\w&+.-]*|[a-z0-9-]+\.[a-z]{2,})"
         r"(?:[ \t]+(?:[A-Z0-9(][\w&+'’.()-]*|&|and|und|en|of|van|von|der|de|du|den)){0,5}(?:\*\*|\])?)")


@lru_cache(maxsize=None)
def controller_phrases() -> tuple[re.Pattern, ...]:
    """Wording that names the notice's own controller, from controller_phrases.csv; group ``n`` is the name.

    The wording matches in any case; the name must be written as a name (capitalised, or a domain).

    >>> [m.group("n") for p in controller_phrases() if (m := p.search("Hello. We are Acme Labs and we care."))]
    ['Acme Labs and']
    """
    out = []
    for i, r, before, after in _templates("controller_phrases.csv", "{NAME}"):
        _compile("controller_phrases.csv", i, before + after)
        out.append(re.compile((f"(?im:{before})" if before else "") + _NAME + (f"(?im:{after})" if after else ""), re.M))
    return tuple(out)


@lru_cache(maxsize=None)
def vendor_products() -> dict[str, str]:
    """A product's name (case-folded) -> "vendor:product", from vendor_products.csv.

    >>> vendor_products()["google fonts"], vendor_products()["ga4"]
    ('google:fonts', 'google:analytics')
    """
    ids = {v.id for v in vendors()[0]}
    out: dict[str, str] = {}
    for i, r in enumerate(rows("vendor_products.csv"), start=2):
        if r["vendor"] not in ids:
            raise ReferenceDataError(f"{DATA_DIR / 'vendor_products.csv'}, row {i}, column 'vendor', value "
                                     f"{r['vendor']!r}: no such vendor in vendors.csv")
        for name in r["names"].split(";"):
            out[name.strip().casefold()] = f"{r['vendor']}:{r['product']}"
    return out


@lru_cache(maxsize=None)
def country_false_friends() -> dict[str, frozenset[str]]:
    """word -> the notice languages in which that country name is another word (``all``: every language).

    >>> sorted(country_false_friends()["indien"])
    ['nl']
    """
    out: dict[str, set[str]] = {}
    for r in rows("country_false_friends.csv"):
        out.setdefault(r["word"].casefold(), set()).add(r["lang"])
    return {k: frozenset(v) for k, v in out.items()}


@lru_cache(maxsize=None)
def service_phrases() -> tuple[tuple[str, re.Pattern, re.Pattern | None], ...]:
    """(kind, wording before the names, wording that must follow them or None) from service_phrases.csv.

    A row's pattern holds ``{NAMES}`` where the vendor names stand: "we use {NAMES}", "durch {NAMES} ermöglicht".

    >>> kind, before, after = service_phrases()[0]
    >>> kind, bool(before.search("We have selected Acme")), after
    ('use', True, None)
    """
    out = []
    for i, r, before, after in _templates("service_phrases.csv", "{NAMES}"):
        out.append((r["kind"], _compile("service_phrases.csv", i, before + r"\s*"),
                    _compile("service_phrases.csv", i, r"\s*" + after) if after.strip() else None))
    return tuple(out)
