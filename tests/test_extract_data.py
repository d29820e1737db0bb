"""data/extract/ tested like code: patterns compile, codes exist, names are unique, every cue kind the
extractor asks for is defined."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from ropa import reference
from ropa.extract import vocab

COUNTRIES = set(reference.load_countries()["code"])
MECHANISMS = set(reference.load_mechanisms()["id"])
# every module of the extractor (its stages are modules of their own)
SOURCE = "\n".join(p.read_text(encoding="utf-8") for p in sorted(Path(vocab.__file__).parent.glob("*.py")))


def test_every_cue_kind_the_extractor_uses_exists():
    used = set(re.findall(r'cue\("(\w+)"\)', SOURCE))
    assert used and used <= vocab.cue_kinds()


@pytest.mark.parametrize("name", ["cues.csv", "section_headings.csv", "table_columns.csv", "legal_bases.csv",
                                  "mechanism_cues.csv", "recipient_categories.csv", "service_phrases.csv"])
def test_patterns_compile(name):
    for r in vocab.rows(name):
        re.compile(r["pattern"])


@pytest.mark.parametrize("name,column", [("cues.csv", "lang"), ("section_headings.csv", "lang"),
                                         ("legal_bases.csv", "lang"), ("data_categories.csv", "lang"),
                                         ("data_subjects.csv", "lang"), ("stopwords.csv", "lang")])
def test_languages_are_the_supported_ones(name, column):
    assert {r[column] for r in vocab.rows(name)} <= set(vocab.LANGUAGES)


def test_gazetteer():
    vendors, _, by_name = vocab.vendors()
    ids = [v.id for v in vendors]
    assert len(ids) == len(set(ids))
    for v in vendors:
        assert v.country in COUNTRIES | {""}, v
        assert v.eu_country in COUNTRIES | {""}, v
        assert not v.eu_country or reference.is_eea(v.eu_country), v
        assert v.default_role in ("processor", "independent_controller"), v
    for r in vocab.rows("vendors.csv"):
        assert r["source"] and r["reviewed"] and r["confidence"] in ("C", "S", "U"), r["id"]
    names = [n for v in vendors for n in v.names]
    assert len(names) == len(set(names)), "a name may point to one vendor only"


def test_places_and_authorities_name_real_countries():
    assert {r["country"] for r in vocab.rows("places.csv")} <= COUNTRIES
    assert {r["country"] for r in vocab.rows("authorities.csv")} <= COUNTRIES


def test_mechanism_cues_use_canonical_ids():
    assert {r["mechanism"] for r in vocab.rows("mechanism_cues.csv")} <= MECHANISMS
    assert {r["condition"] for r in vocab.rows("mechanism_cues.csv")} <= {"always", "transfer"}


def test_legal_bases_are_art_6_letters():
    assert {r["letter"] for r in vocab.rows("legal_bases.csv")} <= set("abcdef")


def test_service_phrases_hold_one_name_slot_and_known_kinds():
    phrases = vocab.service_phrases()
    assert phrases and {k for k, _, _ in phrases} == {"use", "service_noun", "example", "policy"}
    assert {r["lang"] for r in vocab.rows("service_phrases.csv")} == set(vocab.LANGUAGES)
