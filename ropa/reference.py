"""Legal reference data (``data/reference/*.csv``) and the resolvers built on it.

The CSV files are the single source of the legal facts the rules use: countries
and the EEA, adequacy decisions with their scope and dates, transfer
mechanisms with their validity dates, and the wording people use for
countries, mechanisms and special-category data. ``data/reference/README.md``
describes every column and the date semantics.

Loaders return pandas DataFrames: dates as :class:`datetime.date` (``None``
when empty), flags as ``bool``, other text as ``str`` (``""`` when empty).
They are read once and cached; each call returns a copy, so callers may
modify what they get.

The resolvers (:func:`resolve_country`, :func:`resolve_mechanism`,
:func:`classify_category`) compare text case-, accent- and
punctuation-insensitively, against lookup tables built once from the CSVs.
Nothing here prints, exits or needs a network.

Why one module over 600 lines: the one entry point to the legal facts; each loader is short, and the
resolvers share the normalisation of names.
"""
from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

import pandas as pd

from .errors import ReferenceDataError

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "reference"

__all__ = [
    "DATA_DIR",
    "load_countries", "load_country_aliases", "load_adequacy", "load_mechanisms",
    "load_mechanism_aliases", "mechanism_labels", "load_special_categories", "load_law", "gdpr_applies_from", "check_evaluation_date",
    "struck_down_mechanisms",
    "resolve_country", "resolve_mechanism", "parse_bool", "classify_category", "is_eea",
]

# --------------------------------------------------------------------------- loading

_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    # file: {"all": every column, "date": date columns, "bool": flag columns, "int": integer columns}
    "countries.csv": {"all": ("code", "name", "eea", "eu", "note", "source", "reviewed"),
                      "bool": ("eea", "eu")},
    "country_aliases.csv": {"all": ("alias", "code", "lang", "source", "reviewed")},
    "adequacy.csv": {"all": ("id", "country", "instrument", "adopted", "valid_from", "valid_until",
                             "scope_kind", "scope", "legal_source", "confidence", "source", "reviewed"),
                     "date": ("adopted", "valid_from", "valid_until")},
    "mechanisms.csv": {"all": ("id", "label", "kind", "article", "valid_from", "invalid_from",
                               "new_contracts_until", "requires_tia", "occasional_only",
                               "legal_source", "remediation", "confidence", "source", "reviewed"),
                       "date": ("valid_from", "invalid_from", "new_contracts_until"),
                       "bool": ("requires_tia", "occasional_only")},
    "mechanism_aliases.csv": {"all": ("alias", "mechanism", "lang", "source", "reviewed")},
    "law.csv": {"all": ("id", "instrument", "applies_from", "legal_source", "confidence", "source", "reviewed"),
                "date": ("applies_from",)},
    "special_categories.csv": {"all": ("term", "category", "article", "lang", "source", "reviewed"),
                               "int": ("article",)},
}


def _bad(name: str, row: int, column: str, value: object, message: str) -> ReferenceDataError:
    """A ReferenceDataError naming file, row (header = row 1), column and value."""
    return ReferenceDataError(f"{DATA_DIR / name}, row {row}, column {column!r}, value {value!r}: {message}")


@lru_cache(maxsize=None)
def _read(name: str) -> pd.DataFrame:
    """Read and type one reference CSV (cached; never hand this frame out uncopied)."""
    spec = _COLUMNS[name]
    # keep_default_na=False: "NA" is Namibia and "none" is a mechanism alias, not missing values.
    df = pd.read_csv(DATA_DIR / name, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in spec["all"] if c not in df.columns]
    if missing:
        raise ReferenceDataError(f"{DATA_DIR / name}: missing column(s) {', '.join(missing)}")
    df = df.apply(lambda col: col.str.strip())

    def typed(column: str, convert):
        values = []
        for i, raw in enumerate(df[column], start=2):
            try:
                values.append(convert(raw))
            except ValueError as exc:
                raise _bad(name, i, column, raw, str(exc)) from None
        return pd.Series(values, index=df.index, dtype=object)

    for column in spec.get("date", ()) + ("reviewed",):
        df[column] = typed(column, lambda s: _dt.date.fromisoformat(s) if s else None)
    for column in spec.get("bool", ()):
        df[column] = typed(column, _csv_bool).astype(bool)
    for column in spec.get("int", ()):
        df[column] = typed(column, int).astype(int)
    return df


def _csv_bool(text: str) -> bool:
    """The strict true/false of the CSV files."""
    if text == "true":
        return True
    if text == "false":
        return False
    raise ValueError("expected true or false")


def load_countries() -> pd.DataFrame:
    """Every ISO 3166-1 country plus ``EEA`` (unspecified EEA place) and ``IO:EPO``.

    Columns: code, name, eea (bool), eu (bool), note, source, reviewed (date).

    >>> df = load_countries().set_index("code")
    >>> bool(df.loc["NL", "eea"]), bool(df.loc["CH", "eea"]), df.loc["EEA", "name"]
    (True, False, 'EEA (country not specified)')
    """
    return _read("countries.csv").copy()


def load_country_aliases() -> pd.DataFrame:
    """Names, short forms and alpha-3 codes of countries, with their ISO code.

    Columns: alias, code, lang, source, reviewed (date).

    >>> df = load_country_aliases()
    >>> df.loc[df["alias"] == "Verenigde Staten", "code"].tolist()
    ['US']
    """
    return _read("country_aliases.csv").copy()


def load_adequacy() -> pd.DataFrame:
    """Adequacy decisions in force (Art. 45), one row per decision.

    Columns: id, country, instrument, adopted, valid_from, valid_until (dates or
    None; valid_until is the last day it applies), scope_kind, scope,
    legal_source, confidence (C/S/U), source, reviewed.

    >>> gb = load_adequacy().set_index("country").loc["GB"]
    >>> gb["valid_until"], gb["scope_kind"]
    (datetime.date(2031, 12, 27), 'whole')
    """
    return _read("adequacy.csv").copy()


def load_law() -> pd.DataFrame:
    """The law the engine evaluates under, with the day it applies from (one row: the GDPR).

    >>> load_law().set_index("id").loc["gdpr", "applies_from"]
    datetime.date(2018, 5, 25)
    """
    return _read("law.csv").copy()


def gdpr_applies_from() -> _dt.date:
    """The first day the GDPR applies (``law.csv``): no evaluation date may lie before it.

    >>> gdpr_applies_from().isoformat()
    '2018-05-25'
    """
    return load_law().set_index("id").loc["gdpr", "applies_from"]


def check_evaluation_date(as_of: _dt.date) -> None:
    """Refuse an evaluation date on which the GDPR did not apply yet: the rules cite GDPR articles and
    decisions of its time, which would be law out of its time (the Directive 95/46/EC regime is not modelled).

    >>> check_evaluation_date(_dt.date(2017, 1, 1))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ropa.errors.InputError: ...the GDPR applies from 2018-05-25 (Regulation (EU) 2016/679, Art. 99(2)); ...
    """
    first = gdpr_applies_from()
    if as_of < first:
        from .errors import InputError, Problem
        law = load_law().set_index("id").loc["gdpr"]
        raise InputError(Problem(None, None, "--as-of", as_of.isoformat(),
                                 f"the GDPR applies from {first.isoformat()} ({law['legal_source'].split(':')[0]}); "
                                 "transfers before that date fell under Directive 95/46/EC, which this tool does not "
                                 f"evaluate. Choose {first.isoformat()} or later."))


def load_mechanisms() -> pd.DataFrame:
    """Transfer mechanisms, one row per canonical id.

    Columns: id, label, kind, article, valid_from, invalid_from,
    new_contracts_until (dates or None; invalid_from and new_contracts_until
    are the first day on which the mechanism may no longer be used / signed),
    requires_tia (bool), occasional_only (bool), legal_source, remediation,
    confidence, source, reviewed.

    >>> ps = load_mechanisms().set_index("id").loc["privacy_shield"]
    >>> ps["kind"], ps["invalid_from"]
    ('invalidated', datetime.date(2020, 7, 16))
    """
    return _read("mechanisms.csv").copy()


@lru_cache(maxsize=1)
def mechanism_labels() -> Mapping[str, str]:
    """Mechanism id -> its label, for the texts that name a mechanism (read once; read-only).

    >>> mechanism_labels()["privacy_shield"]
    'EU-US Privacy Shield (invalidated)'
    """
    m = _read("mechanisms.csv")
    return MappingProxyType(dict(zip(m["id"], m["label"])))


def load_mechanism_aliases() -> pd.DataFrame:
    """Wording of transfer mechanisms (EN/NL/DE/FR) with their canonical id.

    Columns: alias, mechanism, lang, source, reviewed (date).

    >>> df = load_mechanism_aliases()
    >>> df.loc[df["alias"] == "Standardvertragsklauseln", "mechanism"].tolist()
    ['scc']
    """
    return _read("mechanism_aliases.csv").copy()


def load_special_categories() -> pd.DataFrame:
    """Terms that reveal Art. 9 special-category or Art. 10 criminal data.

    Columns: term (a trailing ``*`` on a word lets it match as a prefix),
    category, article (int, 9 or 10), lang, source, reviewed (date).

    >>> df = load_special_categories()
    >>> sorted(set(df.loc[df["category"] == "criminal", "article"]))
    [10]
    """
    return _read("special_categories.csv").copy()


# --------------------------------------------------------------------------- normalising

# Letters NFKD does not decompose into a base letter plus accents.
_FOLD = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"})
_ARTICLES = frozenset({"the", "de", "die", "der", "das", "het", "la", "le", "les", "l"})
_PREPOSITIONS = frozenset({"in", "im", "within", "binnen", "innerhalb", "dans", "en", "au", "aux"})


def _tokens(text: str) -> list[str]:
    """Lower-case, accent-free word tokens of ``text`` (punctuation is a separator)."""
    folded = unicodedata.normalize("NFKD", str(text).casefold().translate(_FOLD))
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return [t for t in re.split(r"[\W_]+", folded) if t]


def _place_key(text: str) -> str:
    """Lookup key of a place name: tokens joined, leading 'in'/'the'/'de'/'l'' dropped."""
    tokens = _tokens(text)
    while len(tokens) > 1 and tokens[0] in _PREPOSITIONS:
        tokens = tokens[1:]
    while len(tokens) > 1 and tokens[0] in _ARTICLES:
        tokens = tokens[1:]
    return "".join(tokens)


def _plain_key(text: str) -> str:
    """Lookup key of a phrase: tokens joined; a text of punctuation only keys as itself."""
    tokens = _tokens(text)
    return "".join(tokens) if tokens else str(text).strip()


# --------------------------------------------------------------------------- countries

@lru_cache(maxsize=1)
def _country_index() -> tuple[dict[str, str], dict[str, str]]:
    """(normalised name key -> code, upper-case alpha-2/alpha-3 code -> code)."""
    names: dict[str, str] = {}
    codes: dict[str, str] = {}
    aliases = _read("country_aliases.csv")
    for alias, code, lang in zip(aliases["alias"], aliases["code"], aliases["lang"]):
        if lang == "iso-alpha3":
            codes[alias.upper()] = code
        else:
            names[_place_key(alias)] = code
    countries = _read("countries.csv")
    for name, code in zip(countries["name"], countries["code"]):
        names[_place_key(name)] = code
    for code in countries["code"]:
        if code.isalpha():
            codes[code.upper()] = code
        else:
            names[_place_key(code)] = code  # IO:EPO
    names.pop("", None)
    return names, codes


@lru_cache(maxsize=1)
def _eea_codes() -> frozenset[str]:
    """Codes whose eea flag is true."""
    countries = _read("countries.csv")
    return frozenset(countries.loc[countries["eea"], "code"])


def resolve_country(text: str | None) -> str | None:
    """The ISO 3166-1 alpha-2 code (or ``EEA`` / ``IO:EPO``) that ``text`` names.

    Accepts alpha-2 and alpha-3 codes in any case (as the whole text only, so
    "n/a" is not Namibia), English, Dutch, German and French names and common
    short forms (``UK`` -> ``GB``, ``EL`` -> ``GR``, ``U.S.`` -> ``US``).
    Case, accents, punctuation, a leading article ("the", "de", "l'") and a
    leading "in" are ignored. When the whole text does not resolve, a
    parenthesised part is dropped ("Ireland (EU)") and then the trailing
    comma-separated parts are tried ("Dublin, Ireland"). Region words for the
    EEA/EU give ``EEA``; "Europe" alone is too vague and gives ``None``.

    Returns ``None`` for empty or unresolvable text.

    >>> resolve_country("Verenigde Staten"), resolve_country("uk"), resolve_country("EL")
    ('US', 'GB', 'GR')
    >>> resolve_country("Dublin, Ireland"), resolve_country("in de EER"), resolve_country("Atlantis")
    ('IE', 'EEA', None)
    """
    if text is None:
        return None
    text = str(text).strip()
    if not text:
        return None
    names, codes = _country_index()
    candidates = [text]
    without_brackets = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", text).strip()
    if without_brackets and without_brackets != text:
        candidates.append(without_brackets)
    for candidate in list(candidates):
        parts = [p for p in re.split(r"[,;]", candidate)]
        candidates.extend(", ".join(parts[i:]) for i in range(1, len(parts)))
    for candidate in candidates:
        # A code counts only as the whole (letters-only) text: "n/a" must not become NA (Namibia).
        bare = candidate.strip(" \t.,;:()[]")
        code = codes.get(bare.upper()) if bare.isalpha() else None
        if code is None:
            code = names.get(_place_key(candidate))
        if code is not None:
            return code
    return None


def is_eea(code: str | None) -> bool:
    """Whether ``code`` (a code from countries.csv, or any text resolve_country knows) is in the EEA.

    ``EEA`` itself counts; unknown places do not.

    >>> is_eea("NL"), is_eea("CH"), is_eea("EEA"), is_eea("Noorwegen"), is_eea("Atlantis")
    (True, False, True, True, False)
    """
    if code is None:
        return False
    eea = _eea_codes()
    text = str(code).strip()
    if text.upper() in eea:
        return True
    resolved = resolve_country(text)
    return resolved is not None and resolved in eea


# --------------------------------------------------------------------------- mechanisms

_SCC_FAMILY = ("scc", "scc_2021", "scc_2010", "scc_2004", "scc_2001")
_SCC_YEARS = {"2021": "scc_2021", "2010": "scc_2010", "2004": "scc_2004", "2001": "scc_2001"}


@lru_cache(maxsize=1)
def struck_down_mechanisms() -> frozenset[str]:
    """The mechanisms ended outright on one day, with no transition (``invalid_from`` and no
    ``new_contracts_until`` in mechanisms.csv): Safe Harbor and the Privacy Shields. Where a text names one
    of them with others, it is the one to record (and to flag); the old SCCs, repealed with a transition,
    are versions of the SCCs instead.

    >>> sorted(struck_down_mechanisms())
    ['privacy_shield', 'safe_harbor', 'swiss_us_privacy_shield']
    """
    m = _read("mechanisms.csv")
    return frozenset(i for i, end, until in zip(m["id"], m["invalid_from"], m["new_contracts_until"])
                     if end is not None and until is None)
_GENERIC = ("derogation_other", "adequacy")
_SWISS = frozenset({"swiss", "switzerland", "schweiz", "schweizer", "schweizerisch", "suisse", "zwitserland",
                    "zwitsers", "zwitserse", "ch"})
_NEGATIONS = frozenset({"no", "not", "non", "geen", "niet", "kein", "keine", "keinen", "keiner", "nicht",
                        "pas", "sans", "without", "zonder", "ohne"})
# A mechanism named right after one of these is history, not the current basis ("DPF (formerly Privacy Shield)").
_HISTORY = frozenset({"formerly", "previously", "former", "voorheen", "vroeger", "voormalig", "voormalige",
                      "ehemals", "vormals", "fruher", "ehemalige", "ehemaligen", "anciennement", "auparavant",
                      "ancien", "ancienne"})
_ARTICLE_WORDS = frozenset({"art", "arts", "article", "articles", "artikel", "artikels", "artikelen", "artt"})
_ARTICLE_FILLER = frozenset({"lid", "leden", "abs", "absatz", "para", "paragraph", "paragraphe", "par", "sub",
                             "lit", "litera", "letter", "point", "punt", "onder", "under", "al", "alinea",
                             "gdpr", "avg", "dsgvo", "rgpd"})


@lru_cache(maxsize=1)
def _mechanism_tables() -> tuple[dict[str, str], list[tuple[tuple[str, ...], str]]]:
    """(exact key -> id, [(phrase tokens, id)] for scanning, longest phrases first)."""
    ids = list(_read("mechanisms.csv")["id"])
    exact: dict[str, str] = {}
    phrases: dict[tuple[str, ...], str] = {}
    aliases = _read("mechanism_aliases.csv")
    for alias, mechanism in zip(aliases["alias"], aliases["mechanism"]):
        exact[_plain_key(alias)] = mechanism
        tokens = tuple(_tokens(alias))
        # "none"-words mean something only as the whole cell ("none of the above" is not "none").
        if tokens and mechanism != "none":
            phrases[tokens] = mechanism
    for mechanism in ids:
        exact[_plain_key(mechanism)] = mechanism
    ordered = sorted(phrases.items(), key=lambda item: -len(item[0]))
    return exact, ordered


def _article_mechanism(tokens: list[str], i: int) -> str | None:
    """The mechanism an article reference starting at ``tokens[i]`` names (Art. 45/46/47/49), if any."""
    j = i
    if tokens[j] in _ARTICLE_WORDS:
        j += 1
    elif tokens[j] != "49":  # a bare number counts only for "49(1)(x)"
        return None
    if j >= len(tokens) or tokens[j] not in {"45", "46", "47", "49"}:
        return None
    article, parts = tokens[j], []
    j += 1
    while j < len(tokens) and len(parts) < 2:
        if tokens[j] in _ARTICLE_FILLER:
            j += 1
        elif tokens[j].isdigit() or (len(tokens[j]) == 1 and tokens[j] in "abcdefg"):
            parts.append(tokens[j])
            j += 1
        else:
            break
    if tokens[i] == "49" and len(parts) < 2:
        return None
    if article == "45":
        return "adequacy"
    if article == "47":
        return "bcr"
    if article == "46":
        return {("2", "b"): "bcr", ("2", "c"): "scc", ("2", "e"): "code_of_conduct",
                ("2", "f"): "certification"}.get(tuple(parts))
    if len(parts) == 2 and parts[0] == "1":
        return {"a": "derogation_consent", "b": "derogation_contract",
                "c": "derogation_contract"}.get(parts[1], "derogation_other")
    return "derogation_other"


def _scc_version(tokens: list[str], matched: list[str]) -> str | None:
    """Which SCC set a text means, given the SCC-family ids matched in it (None: not a transfer tool)."""
    pairs = set(zip(tokens, tokens[1:]))
    if ("2021", "915") in pairs and ("2021", "914") not in pairs:
        return None  # 2021/915 are the Art. 28(7) clauses, not a transfer tool
    for mechanism in matched:
        if mechanism != "scc":
            return mechanism
    for token in tokens:
        if token in _SCC_YEARS:
            return _SCC_YEARS[token]
    if "module" in tokens or "modul" in tokens:  # modules exist only in the 2021 SCCs
        return "scc_2021"
    return "scc"


def resolve_mechanism(text: str | None) -> str | None:
    """The canonical mechanism id (see mechanisms.csv) that ``text`` names.

    Empty text gives ``"none"``; text that names no known mechanism gives
    ``None``. The whole text is first looked up as an alias or canonical id;
    otherwise known wordings are searched in it (EN/NL/DE/FR, article
    references such as "Art. 49 Abs. 1 lit. a"), skipping ones preceded by a
    negation ("no adequacy decision") or by "formerly" and the like. When
    several match, an invalidated
    mechanism wins (so it gets flagged), then a specific one, then a generic
    one (Art. 49 without a letter, "adequacy"); ties go to the first in the
    text. For SCCs the set is taken from a decision number or year in the text
    ("SCCs 2010/87/EU" -> ``scc_2010``, "SCC (2021)" or "Module 2" ->
    ``scc_2021``), else ``scc``; "2021/915" (the Art. 28(7) clauses) gives ``None``.
    Privacy Shield named with Switzerland and not the EU is the Swiss-US scheme.

    >>> resolve_mechanism("Standard Contractual Clauses (2021)"), resolve_mechanism("SCCs 2010/87/EU")
    ('scc_2021', 'scc_2010')
    >>> resolve_mechanism("EU-US Privacy Shield"), resolve_mechanism("Swiss-US Privacy Shield")
    ('privacy_shield', 'swiss_us_privacy_shield')
    >>> resolve_mechanism("ausdrückliche Einwilligung"), resolve_mechanism(""), resolve_mechanism("magic")
    ('derogation_consent', 'none', None)
    """
    if text is None:
        return "none"
    text = str(text).strip()
    if not text:
        return "none"
    exact, phrases = _mechanism_tables()
    tokens = _tokens(text)
    found = exact.get(_plain_key(text))
    if found is None:
        matches: list[tuple[int, str]] = []
        for i in range(len(tokens)):
            if i > 0 and tokens[i - 1] in _NEGATIONS or _HISTORY.intersection(tokens[max(0, i - 2):i]):
                continue
            by_article = _article_mechanism(tokens, i)
            if by_article:
                matches.append((i, by_article))
            for phrase, mechanism in phrases:
                if tuple(tokens[i:i + len(phrase)]) == phrase:
                    matches.append((i, mechanism))
                    break
        if "iso" in tokens:  # "ISO 27001 certification" is not an Art. 46(2)(f) certification
            matches = [m for m in matches if m[1] != "certification"]
        if not matches:
            return None

        def rank(match: tuple[int, str]) -> tuple[int, int]:
            position, mechanism = match
            tier = 0 if mechanism in struck_down_mechanisms() else 2 if mechanism in _GENERIC else 1
            return tier, position

        found = min(matches, key=rank)[1]
        if found in _SCC_FAMILY:
            found = _scc_version(tokens, [m for _, m in sorted(matches) if m in _SCC_FAMILY])
    elif found in _SCC_FAMILY:
        found = _scc_version(tokens, [found])
    # "EU/Swiss-US Privacy Shield": for an EU exporter the EU-US scheme is the one relied on.
    if found in ("privacy_shield", "swiss_us_privacy_shield"):
        swiss_only = _SWISS.intersection(tokens) and not {"eu", "ue"}.intersection(tokens)
        found = "swiss_us_privacy_shield" if swiss_only else "privacy_shield"
    return found


# --------------------------------------------------------------------------- yes/no

_TRUE = frozenset({"yes", "y", "ja", "j", "oui", "true", "1", "wahr"})
_FALSE = frozenset({"no", "n", "nee", "nein", "non", "false", "0", "falsch"})


def parse_bool(text: object) -> bool | None:
    """Read a yes/no cell in English, Dutch, German or French.

    Accepts yes/no, ja/nee/nein, oui/non, true/false, wahr/falsch, y/n, j and
    1/0, in any case. Empty text, ``None`` or NaN (an empty spreadsheet cell)
    gives ``None``.

    Raises ValueError for anything else.

    >>> parse_bool("Ja"), parse_bool("non"), parse_bool(""), parse_bool(True)
    (True, False, None, True)
    >>> parse_bool("maybe")
    Traceback (most recent call last):
    ...
    ValueError: 'maybe' is not a yes/no value (use yes/no, ja/nee, oui/non, true/false or 1/0)
    """
    if text is None:
        return None
    if isinstance(text, bool):
        return text
    if isinstance(text, float):
        if text != text:  # NaN: an empty spreadsheet cell
            return None
        if text in (0.0, 1.0):
            return bool(text)
    word = str(text).strip().casefold()
    if not word:
        return None
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError(f"{text!r} is not a yes/no value (use yes/no, ja/nee, oui/non, true/false or 1/0)")


# --------------------------------------------------------------------------- special categories

@lru_cache(maxsize=1)
def _category_terms() -> list[tuple[tuple[tuple[str, bool], ...], str, int]]:
    """[(((word, is_prefix), ...), category, article)], longest terms first."""
    terms = []
    df = _read("special_categories.csv")
    for term, category, article in zip(df["term"], df["category"], df["article"]):
        words = []
        for raw in term.split():
            prefix = raw.endswith("*")
            for token in _tokens(raw.rstrip("*")):
                words.append((token, False))
            if words and prefix:
                words[-1] = (words[-1][0], True)
        if words:
            terms.append((tuple(words), category, int(article)))
    terms.sort(key=lambda t: -len(t[0]))
    return terms


def classify_category(text: str | None) -> tuple[str | None, int | None]:
    """The Art. 9 special category (or ``criminal``, Art. 10) a data-category text reveals.

    Terms match whole words (a term word marked ``*`` in the CSV also matches
    as a word prefix, so "gezondheid*" finds "gezondheidsgegevens"), case- and
    accent-insensitively. The first match in the text wins. Returns
    ``(category, article)`` or ``(None, None)``.

    >>> classify_category("Patient health records"), classify_category("Strafregisterauszug")
    (('health', 9), ('criminal', 10))
    >>> classify_category("trace id"), classify_category("")
    ((None, None), (None, None))
    """
    if text is None:
        return None, None
    tokens = _tokens(text)
    terms = _category_terms()
    for i in range(len(tokens)):
        for words, category, article in terms:
            if i + len(words) > len(tokens):
                continue
            if all(tokens[i + k].startswith(w) if prefix else tokens[i + k] == w
                   for k, (w, prefix) in enumerate(words)):
                return category, article
    return None, None
