"""Patterns shared by the extractor's stages: URLs, countries, regions, mechanisms, places, name stops."""
from __future__ import annotations

import re
from functools import lru_cache

from .. import reference
from . import vocab

_URL = re.compile(r"\b(?:https?://|www\.)\S+|[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,16}"
                  r"|\b[\w-]{1,63}(?:\.[\w-]{1,63}){0,16}\.(?:gov|com|org|net|io|eu|de|nl|be|fr|co|ie|uk)\b(?:/\S*)?",
                  re.I)
_EMAIL_OR_URL = re.compile(r"\b(?:https?://|www\.)\S+|[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,16}", re.I)
# a comment of the page's source left in the copy: "{/* Microsoft Azure */}", "<!-- Mailchimp -->" (never text)
_SOURCE_COMMENT = re.compile(r"\{\s*/\*[^\n]*?\*/\s*\}|<!--.*?-->", re.S)
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


_MAYBE_URL = re.compile(r"\.\S|@|://|<!--|/\*")  # what every URL, address, domain or source comment contains


def _masked(text: str, pattern: re.Pattern = _URL) -> str:
    """``text`` with URLs, e-mail addresses and domains blanked (same length).

    >>> _masked("see https://acme.io/x or mail a@b.eu."), _masked("No link here.")
    ('see                   or mail       .', 'No link here.')
    """
    if not _MAYBE_URL.search(text):
        return text  # nothing to blank (most sentences): the patterns are not run
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
    for bad, langs in vocab.country_false_friends().items():  # another word in every language ("Jersey")
        if "all" in langs:
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
    cell = re.sub(r"(?<=\S)\s*[*†‡]+$", "", cell.strip())  # "Google Inc.*": a footnote mark, not the name
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
def _place_matches(span: str, lang: str | None = None) -> tuple[list, list, list, list]:
    """Every country, city, US address and region word in ``span`` (offsets into it), before any skipping;
    cached, as the same sentence or block is asked about once per name in it. A country name that is
    another word in the notice's language ``lang`` (Dutch "indien" = "if") is no country there."""
    masked = _masked(span, _EMAIL_OR_URL)
    pattern, names = _country_pattern()
    friends = vocab.country_false_friends()
    countries = []
    for m in pattern.finditer(masked):
        word = m.group(0)
        if lang and lang in friends.get(word.casefold(), ()):
            continue
        code = _SHORT_COUNTRY.get(word) or names.get(word.casefold())
        if code:
            countries.append((m.start(), m.end(), code))
    city_re, cities, us_re = vocab.places()
    city = [(m.start(), m.end(), cities[m.group(0).casefold()]) for m in city_re.finditer(masked)]
    us = [(m.start(), m.end(), "US") for m in us_re.finditer(masked)]
    for pattern, code in vocab.address_formats():  # "Heilbronner Straße 20, 01189 Dresden"
        us += [(m.start(), m.end(), code) for m in pattern.finditer(masked)]
    regions = []
    for m in _region_pattern().finditer(masked):
        before = masked[:m.start()]
        if re.search(r"\b(outside|buiten|außerhalb|beyond)\s+(?:of\s+)?(the\s+|de\s+|der\s+|des\s+)?$", before, re.I):
            regions.append((m.start(), m.end(), "non-EEA"))
        elif _REGION_PREFIX.search(before[-40:]):
            regions.append((m.start(), m.end(), "EEA"))
    return countries, city, us, regions


def _places_in(text: str, lo: int, hi: int, skip: list[tuple[int, int]],
               lang: str | None = None) -> list[tuple[int, int, str | None, str | None, str]]:
    """Places stated in text[lo:hi]: (start, end, country, region, how) sorted by position (``lang``: the
    notice's language, for country names that are other words in it)."""
    out = []

    def free(a: int, b: int) -> bool:
        return not any(x < b and a < y for x, y in skip)

    countries, city, us, regions = _place_matches(text[lo:hi], lang)
    for a, b, code in countries:
        if free(lo + a, lo + b):
            out.append((lo + a, lo + b, code, None, "country"))
    for a, b, code in city:
        a, b = lo + a, lo + b
        if free(a, b) and not any(x <= a < y for x, y, *_ in out):
            out.append((a, b, code, None, "city"))
    for a, b, code in us:
        if free(lo + a, lo + b) and not any(x <= lo + a < y or lo + a <= x < lo + b for x, y, *_ in out):
            out.append((lo + a, lo + b, code, None, "address"))
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
                             r"dienst|plattform|leverancier|verwerker|aanbieder|firma)(?:e?s)?$", re.I)  # genitive too
    return frozenset(stops), descriptive


_MD_LINK = re.compile(r"\[([^\]\n]{1,80})\](\([^)\s]*\)|\[[^\]\n]{0,80}\])?")


# a site generator's link shortcode: '{{< link slug="company/acme" text="Acme GmbH" >}}' shows its text
_SHORTCODE_LINK = re.compile(r"""\{\{[<%]\s*[\w/-]+\b[^}\n]{0,200}?\btext=["']([^"'\n]{1,80})["'][^}\n]{0,200}?[>%]\}\}""")


def link_text_view(text: str) -> str:
    """``text`` with Markdown link syntax and URLs blanked (same length): "[giscus](https://…)" reads "giscus",
    '{{< link slug="…" text="Acme" >}}' reads "Acme"."""
    view = list(text)
    for m in _MD_LINK.finditer(text):
        view[m.start()] = " "
        for i in range(m.end(1), m.end()):
            view[i] = " "
    if "{{" in text:
        for m in _SHORTCODE_LINK.finditer(text):
            for i in (*range(m.start(), m.start(1)), *range(m.end(1), m.end())):
                view[i] = " "
    return _masked("".join(view), _EMAIL_OR_URL)


@lru_cache(maxsize=4096)
def not_recipient_name(name: str) -> bool:
    """A name that is a kind of data, a cookie, a safeguard measure or a transfer mechanism: never a recipient.

    Matched against the whole name with its bracketed part left out (cue kind ``not_recipient_name``; a mechanism's
    wording from data/reference/).

    >>> [not_recipient_name(n) for n in ("Identity data", "Accountgegevens (naam, e-mail)", "_ga", "Session-Cookies",
    ...                                  "Standard Contractual Clauses (SCCs)", "Stripe", "Autoriteit Persoonsgegevens")]
    [True, True, True, True, True, False, False]
    """
    core = re.sub(r"\s*\(.*\)\s*$", "", name.replace("**", "")).strip(" :.,;")
    if not core:
        return False
    if vocab.cue("not_recipient_name").fullmatch(core):
        return True
    if len(core.split()) <= 6:
        mech = reference.resolve_mechanism(core)
        return bool(mech and mech != "none")
    return False
