"""The register's columns and the small helpers every step shares.

The canonical columns, the heading aliases (ICO, CNIL and everyday variants), role and sector
aliases, how a heading and a name are normalised, how a cell splits and a date parses, and the
object-array helpers that work on a whole column at a time (once per distinct value).
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata

import numpy as np

from .. import reference
from ..model import factorize as _codes


COLUMNS = [
    "controller", "controller_country", "activity", "purpose", "legal_basis",
    "special_condition", "data_subjects", "data_categories", "retention",
    "security_measures", "recipient", "recipient_role", "engaged_by",
    "recipient_country", "processing_countries", "mechanism", "mechanism_date",
    "tia", "dpa", "dpf_certified", "evidence", "source",
]
OPTIONAL_COLUMNS = ["recipient_sector", "occasional", "dpf_checked", "joint", "source_title", "source_location",
                    "evidence_at"]
# source_title / source_location: the title and the file name or URL of the row's document (the first row of a
# document that gives one sets it); evidence_at: where the row's quote stands in it (section, line, characters).
REQUIRED_COLUMNS = ["controller", "activity"]
RECIPIENT_COLUMNS = ["recipient_role", "engaged_by", "recipient_country", "processing_countries",
                     "mechanism", "mechanism_date", "tia", "dpa", "dpf_certified"]

# Recipient-only yes/no cells that may say "no" (or be empty-like) on a row without a recipient: a warning.
NEGATIVE_TOLERATED = ("tia", "dpa", "dpf_certified")
EMPTY_LIKE = frozenset({"-", "--", "n/a", "na", "n.a.", "none", "nvt", "n.v.t.", "—", "–"})


def _says_no(cell: str) -> bool:
    """True for a cell that says no, or nothing, in any of the register's languages ("no", "nee", "-", "n/a")."""
    word = str(cell).strip().casefold()
    if word in EMPTY_LIKE:
        return True
    try:
        return reference.parse_bool(word) is False
    except ValueError:
        return False


# Headings of the ICO (UK) and CNIL (FR) templates, and everyday variants, by
# their normalised form (see _heading_key). A heading matches only as a whole,
# once qualifiers in brackets are left out ("Retention schedule (if possible)"):
# matching a prefix read "Country of controller" as the recipient's country and
# "Safeguard review date" as the transfer mechanism.
COLUMN_ALIASES: dict[str, str] = {
    # ICO documentation template for controllers
    "business_function": "activity",
    "purpose_of_processing": "purpose",
    "purpose_of_the_processing": "purpose",
    "categories_of_individuals": "data_subjects",
    "categories_of_data_subjects": "data_subjects",
    "categories_of_personal_data": "data_categories",
    "categories_of_recipients": "recipient",
    "names_of_third_countries_or_international_organisations": "recipient_country",
    "names_of_third_countries_or_international_organisations_that_personal_data_are_transferred_to":
        "recipient_country",
    "safeguards_for_exceptional_transfers": "mechanism",
    "safeguards_for_exceptional_transfers_of_personal_data_to_third_countries_or_international_organisations":
        "mechanism",
    "retention_schedule": "retention",
    "general_description_of_technical_and_organisational_security_measures": "security_measures",
    "article_6_lawful_basis": "legal_basis",
    "article_6_lawful_basis_for_processing_personal_data": "legal_basis",
    "art_6_lawful_basis": "legal_basis",
    "lawful_basis": "legal_basis",
    "article_9_basis": "special_condition",
    "article_9_condition": "special_condition",
    "article_9_basis_for_processing_special_category_data": "special_condition",
    "article_9_condition_for_processing_special_category_data": "special_condition",
    "location_of_personal_data": "processing_countries",
    "link_to_contract_with_processor": "dpa",
    "source_of_personal_data": "source",
    # CNIL registre
    "nom_du_traitement": "activity",
    "activite_de_traitement": "activity",
    "traitement": "activity",
    "responsable_du_traitement": "controller",
    "finalite": "purpose",
    "base_legale": "legal_basis",
    "base_juridique": "legal_basis",
    "categories_de_personnes_concernees": "data_subjects",
    "personnes_concernees": "data_subjects",
    "categories_de_donnees": "data_categories",
    "donnees_sensibles": "special_condition",
    "duree_de_conservation": "retention",
    "destinataires": "recipient",
    "sous_traitants": "recipient",
    "pays_destinataire": "recipient_country",
    "garanties": "mechanism",
    "type_de_garanties": "mechanism",
    "mesures_de_securite": "security_measures",
    # everyday variants
    "processing_activity": "activity",
    "data_subject_categories": "data_subjects",
    "personal_data_categories": "data_categories",
    "retention_period": "retention",
    "transfer_mechanism": "mechanism",
    "safeguard": "mechanism",
    "safeguards": "mechanism",
    "country_of_controller": "controller_country",
    "country_of_the_controller": "controller_country",
    "controller_s_country": "controller_country",
    "country_of_recipient": "recipient_country",
    "country_of_the_recipient": "recipient_country",
    "recipient_s_country": "recipient_country",
}
# Headings that could name more than one column. The first is how they are read (as
# they always were) when that column is not otherwise given, and a warning says so;
# the others are what the user may have meant.
AMBIGUOUS_HEADINGS: dict[str, tuple[str, ...]] = {
    "country": ("recipient_country", "controller_country"),
    "pays": ("recipient_country", "controller_country"),
    "land": ("recipient_country", "controller_country"),
    "date": ("", "mechanism_date", "dpf_checked"),
    "name": ("", "controller", "activity", "recipient"),
    "organisation": ("", "controller", "recipient"),
    "organization": ("", "controller", "recipient"),
}

ROLE_ALIASES = {
    "processor": "processor", "verwerker": "processor", "auftragsverarbeiter": "processor",
    "sous_traitant": "processor", "data_processor": "processor",
    "subprocessor": "subprocessor", "sub_processor": "subprocessor", "subverwerker": "subprocessor",
    "sub_verwerker": "subprocessor", "unterauftragsverarbeiter": "subprocessor",
    "sous_traitant_ulterieur": "subprocessor",
    "controller": "controller", "independent_controller": "controller",
    "verwerkingsverantwoordelijke": "controller", "verantwortlicher": "controller",
    "responsable_du_traitement": "controller", "third_party": "controller", "derde": "controller",
    "joint_controller": "joint_controller", "gezamenlijk_verwerkingsverantwoordelijke": "joint_controller",
    "gemeinsam_verantwortlicher": "joint_controller", "responsable_conjoint": "joint_controller",
}
SECTOR_ALIASES = {
    "private": "private", "commercial": "private", "privaat": "private", "privat": "private",
    "public": "public", "publiek": "public", "overheid": "public", "government": "public",
    "offentlich": "public", "public_sector": "public",
    "non_profit": "non_profit", "nonprofit": "non_profit", "ngo": "non_profit",
    "non_commercial": "non_profit", "not_for_profit": "non_profit",
}
SPLIT = re.compile(r"\s*(?:;|\n)\s*")
BLANK = re.compile(rb"\s*")


def _norm_header(h: str) -> str:
    h = unicodedata.normalize("NFKD", h.replace("\ufeff", "")).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", h.strip().lower()).strip("_")


# Characters that show as nothing: a name with one pasted in is the same name. (Identity only: a
# name is shown as first written.)
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)


def _key(name: str) -> str:
    """Identity of an organisation, activity, subject or category: insensitive to case, spacing,
    Unicode normalisation (NFC: ``é`` one character or ``e`` + accent) and invisible characters.

    >>> _key("Cafe\u0301  Cloud\u200b") == _key("CAF\u00c9 Cloud")
    True
    """
    seen = unicodedata.normalize("NFC", name).translate(_INVISIBLE)
    key = unicodedata.normalize("NFC", " ".join(seen.split()).casefold())
    return key or " ".join(name.split()).casefold()


def _split(cell: str) -> list[str]:
    return [p for p in SPLIT.split(cell.strip()) if p]


def _heading_key(raw: str) -> str:
    """A heading as the alias table spells it: qualifiers in brackets left out, then normalised."""
    return _norm_header(re.sub(r"\([^()]*\)", " ", raw)) or _norm_header(raw)

def _parse_date(value: str) -> dt.date:
    v = value.strip()
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S"):  # last: XLSX dates
        try:
            return dt.datetime.strptime(v, fmt).date()
        except ValueError:
            pass
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", v)
    if m:
        return dt.date(int(m.group(1)), int(m.group(2)), 1)
    raise ValueError(f"not a date (use YYYY-MM-DD): {value!r}")

def _filled(value, n: int) -> np.ndarray:
    out = np.empty(n, dtype=object)
    out.fill(value)
    return out


def _object_array(values) -> np.ndarray:
    """A 1-d object array of the given Python values (tuples and lists stay elements)."""
    if not isinstance(values, (list, tuple)):
        values = list(values)
    return np.fromiter(values, dtype=object, count=len(values))


def _umap(values: np.ndarray, func) -> np.ndarray:
    """``func`` of every value, computed once per distinct value (columns repeat themselves)."""
    if not len(values):
        return _object_array([])
    codes, uniques = _factorize(values)
    return _object_array(func(u) for u in uniques)[codes]


def _factorize(values: np.ndarray) -> tuple[np.ndarray, list]:
    """Codes and distinct values, with None kept as None (pandas would make it NaN)."""
    codes, uniques = _codes(values)
    return codes, [None if isinstance(u, float) and u != u else u for u in uniques]
