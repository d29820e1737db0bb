"""The legal reference data in data/reference/, tested as data (facts: shared/reference/gdpr-facts.md)."""
from __future__ import annotations

import csv
import datetime as dt
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ropa import reference as ref  # noqa: E402

D = dt.date.fromisoformat

EU27 = set("AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split())
EFTA3 = {"IS", "LI", "NO"}
EU_TERRITORIES = {"AX", "GF", "GP", "MQ", "RE", "YT", "MF"}
ADEQUATE = {"AD", "AR", "BR", "CA", "IO:EPO", "FO", "GG", "IM", "IL", "JP", "JE", "NZ", "KR", "CH", "GB",
            "US", "UY"}
US_HISTORY = {"adequacy_us_safe_harbor", "adequacy_us_privacy_shield"}
MECHANISMS = {"scc_2021", "scc_2010", "scc_2004", "scc_2001", "scc", "dpf", "adequacy", "bcr",
              "code_of_conduct", "certification", "derogation_consent", "derogation_contract",
              "derogation_other", "privacy_shield", "swiss_us_privacy_shield", "safe_harbor", "none"}
CATEGORIES = {"racial_ethnic_origin", "political_opinions", "religious_philosophical_beliefs",
              "trade_union_membership", "genetic", "biometric_unique_id", "health", "sex_life_orientation",
              "criminal"}

HEADERS = {
    "countries.csv": ["code", "name", "eea", "eu", "note", "source", "reviewed"],
    "country_aliases.csv": ["alias", "code", "lang", "source", "reviewed"],
    "adequacy.csv": ["id", "country", "instrument", "adopted", "valid_from", "valid_until", "scope_kind", "scope",
                     "legal_source", "confidence", "source", "reviewed"],
    "mechanisms.csv": ["id", "label", "kind", "article", "valid_from", "invalid_from", "new_contracts_until",
                       "requires_tia", "occasional_only", "legal_source", "remediation", "confidence", "source",
                       "reviewed"],
    "mechanism_aliases.csv": ["alias", "mechanism", "lang", "source", "reviewed"],
    "law.csv": ["id", "instrument", "applies_from", "legal_source", "confidence", "source", "reviewed"],
    "special_categories.csv": ["term", "category", "article", "lang", "source", "reviewed"],
}
DATE_COLUMNS = {"adequacy.csv": ["adopted", "valid_from", "valid_until"],
                "mechanisms.csv": ["valid_from", "invalid_from", "new_contracts_until"]}


def raw_rows(name: str) -> tuple[list[str], list[dict[str, str]]]:
    with open(ref.DATA_DIR / name, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


@pytest.fixture(scope="module")
def countries():
    return ref.load_countries().set_index("code")


@pytest.fixture(scope="module")
def adequacy():
    """The decisions in force today (the past US frameworks, which ended, are tested apart below)."""
    df = ref.load_adequacy()
    return df[~df["id"].isin(US_HISTORY)].set_index("country")


@pytest.fixture(scope="module")
def all_adequacy():
    return ref.load_adequacy().set_index("id")


@pytest.fixture(scope="module")
def mechanisms():
    return ref.load_mechanisms().set_index("id")


# --------------------------------------------------------------------------- every file

@pytest.mark.parametrize("name", sorted(HEADERS))
def test_file_has_the_documented_header(name):
    header, rows = raw_rows(name)
    assert header == HEADERS[name]
    assert rows, f"{name} is empty"


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_every_row_has_a_source_and_an_iso_review_date(name):
    _, rows = raw_rows(name)
    for i, row in enumerate(rows, start=2):
        assert row["source"].strip(), f"{name} row {i}: empty source"
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["reviewed"]), f"{name} row {i}: {row['reviewed']!r}"
        D(row["reviewed"])  # a real calendar day, not just the shape of one


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_no_cell_has_stray_whitespace_or_a_missing_value(name):
    _, rows = raw_rows(name)
    for i, row in enumerate(rows, start=2):
        assert None not in row.values(), f"{name} row {i}: too few cells"
        assert None not in row, f"{name} row {i}: too many cells"
        for column, value in row.items():
            assert value == value.strip(), f"{name} row {i} column {column}: {value!r}"


@pytest.mark.parametrize("name,column", [(n, c) for n, cols in DATE_COLUMNS.items() for c in cols])
def test_date_cells_are_empty_or_iso(name, column):
    _, rows = raw_rows(name)
    for i, row in enumerate(rows, start=2):
        value = row[column]
        if value:
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", value), f"{name} row {i} {column}: {value!r}"
            D(value)


@pytest.mark.parametrize("loader,dates,flags", [
    (ref.load_countries, [], ["eea", "eu"]),
    (ref.load_adequacy, ["adopted", "valid_from", "valid_until"], []),
    (ref.load_mechanisms, ["valid_from", "invalid_from", "new_contracts_until"], ["requires_tia", "occasional_only"]),
    (ref.load_country_aliases, [], []),
    (ref.load_mechanism_aliases, [], []),
    (ref.load_special_categories, [], []),
])
def test_loaders_type_dates_and_flags(loader, dates, flags):
    df = loader()
    assert all(isinstance(v, dt.date) for v in df["reviewed"])
    for column in dates:
        assert all(v is None or isinstance(v, dt.date) for v in df[column]), column
    for column in flags:
        assert df[column].dtype == bool, column


# --------------------------------------------------------------------------- countries

def test_every_iso_country_is_present_once(countries):
    codes = list(ref.load_countries()["code"])
    assert len(codes) == len(set(codes))
    iso = [c for c in codes if re.fullmatch(r"[A-Z]{2}", c)]
    assert len(iso) == 249
    assert set(codes) - set(iso) == {"EEA", "IO:EPO"}


def test_eea_flag_is_the_30_states_plus_listed_territories_and_the_eea_row(countries):
    assert len(EU27) == 27 and len(EU27 | EFTA3) == 30
    assert set(countries.index[countries["eea"]]) == EU27 | EFTA3 | EU_TERRITORIES | {"EEA"}


def test_eu_flag_is_the_27_states_plus_listed_territories(countries):
    assert set(countries.index[countries["eu"]]) == EU27 | EU_TERRITORIES


def test_member_states_are_the_30_once_territories_are_set_aside(countries):
    members = set(countries.index[countries["eea"]]) - EU_TERRITORIES - {"EEA"}
    assert members == EU27 | EFTA3 and len(members) == 30


@pytest.mark.parametrize("code", ["CH", "GB", "FO", "GI", "SJ", "GL", "PF", "NC", "PM", "WF", "BL", "US",
                                  "IO:EPO", "PS", "IM", "JE", "GG"])
def test_not_in_the_eea(countries, code):
    assert not countries.loc[code, "eea"]
    assert not countries.loc[code, "eu"]


@pytest.mark.parametrize("code", sorted(EU_TERRITORIES))
def test_territories_treated_as_eea_keep_confidence_u(countries, code):
    assert "(U)" in countries.loc[code, "note"]


@pytest.mark.parametrize("code", ["GL", "SJ", "GI", "PF", "NC", "PM", "WF", "BL"])
def test_territories_outside_keep_confidence_u_in_their_note(countries, code):
    assert "(U)" in countries.loc[code, "note"]


def test_special_rows(countries):
    assert countries.loc["EEA", "name"] == "EEA (country not specified)"
    assert countries.loc["EEA", "eea"] and not countries.loc["EEA", "eu"]
    assert countries.loc["IO:EPO", "name"] == "European Patent Organisation"


def test_no_uk_or_el_codes(countries):
    assert "UK" not in countries.index and "EL" not in countries.index


# --------------------------------------------------------------------------- adequacy

def test_adequacy_rows_are_exactly_the_decisions_in_force(adequacy):
    assert set(adequacy.index) == ADEQUATE
    assert adequacy.index.is_unique


def test_adequacy_ids_follow_the_country(adequacy):
    for country, row in adequacy.iterrows():
        assert row["id"] == "adequacy_" + re.sub(r"[^a-z0-9]+", "_", country.lower())


def test_every_adequacy_country_is_in_countries(adequacy, countries):
    assert set(adequacy.index) <= set(countries.index)
    assert not any(countries.loc[c, "eea"] for c in adequacy.index)


@pytest.mark.parametrize("country,scope_kind", [
    ("US", "dpf_certified"), ("CA", "commercial_private"), ("JP", "private_sector"), ("KR", "sector_exclusions"),
    ("IL", "automated"), ("UY", "automated"), ("FO", "territorial"), ("IO:EPO", "international_org"),
    ("GB", "whole"), ("CH", "whole"), ("BR", "whole"), ("NZ", "whole"),
])
def test_scope_kind(adequacy, country, scope_kind):
    assert adequacy.loc[country, "scope_kind"] == scope_kind


def test_scope_kinds_are_the_documented_tokens(adequacy):
    assert set(adequacy["scope_kind"]) <= {"whole", "dpf_certified", "commercial_private", "private_sector",
                                          "sector_exclusions", "automated", "territorial", "international_org"}
    assert all(adequacy["scope"].str.len() > 10)
    assert all(adequacy["legal_source"].str.len() > 10)


@pytest.mark.parametrize("country,number,adopted", [
    ("AD", "2010/625/EU", "2010-10-19"), ("AR", "2003/490/EC", "2003-06-30"), ("BR", "2026/179", "2026-01-26"),
    ("CA", "2002/2/EC", "2001-12-20"), ("IO:EPO", "2025/1382", "2025-07-15"), ("FO", "2010/146/EU", "2010-03-05"),
    ("GG", "2003/821/EC", "2003-11-21"), ("IM", "2004/411/EC", "2004-04-28"), ("IL", "2011/61/EU", "2011-01-31"),
    ("JP", "2019/419", "2019-01-23"), ("JE", "2008/393/EC", "2008-05-08"), ("NZ", "2013/65/EU", "2012-12-19"),
    ("KR", "2022/254", "2021-12-17"), ("CH", "2000/518/EC", "2000-07-26"), ("GB", "2021/1772", "2021-06-28"),
    ("US", "2023/1795", "2023-07-10"), ("UY", "2012/484/EU", "2012-08-21"),
])
def test_adequacy_instrument_and_dates(adequacy, country, number, adopted):
    row = adequacy.loc[country]
    assert number in row["instrument"] and number in row["legal_source"]
    assert row["adopted"] == D(adopted)
    assert row["valid_from"] == row["adopted"]


@pytest.mark.parametrize("stale", ["2012/484/EU", "2021/2216", "2003/79/EC", "2028"])
def test_stale_numbers_seen_in_public_snippets_are_not_used(adequacy, stale):
    # facts §2: NZ is not 2012/484 (that is Uruguay), Korea is not 2021/2216, Guernsey not 2003/79, UK not 2028
    others = adequacy.drop(index="UY") if stale == "2012/484/EU" else adequacy
    assert not others["instrument"].str.contains(stale, regex=False).any()
    assert not others["legal_source"].str.contains(stale, regex=False).any()


def test_gb_adequacy_runs_to_2031_12_27_and_is_the_only_one_with_an_end(adequacy):
    assert adequacy.loc["GB", "valid_until"] == D("2031-12-27")
    assert [c for c, v in adequacy["valid_until"].items() if v is not None] == ["GB"]


def test_brazil_applies_from_2026_01_26(adequacy):
    assert adequacy.loc["BR", "valid_from"] == D("2026-01-26")


def test_adequacy_periods_are_ordered(adequacy):
    for country, row in adequacy.iterrows():
        if row["valid_until"] is not None:
            assert row["valid_from"] < row["valid_until"], country


@pytest.mark.parametrize("country,confidence", [("BR", "S"), ("IO:EPO", "S"), ("KR", "S"), ("GB", "S"),
                                                ("US", "C"), ("CH", "C"), ("FO", "C")])
def test_adequacy_keeps_the_facts_confidence(adequacy, country, confidence):
    assert adequacy.loc[country, "confidence"] == confidence


# --------------------------------------------------------------------------- mechanisms

def test_every_mechanism_is_present_once(mechanisms):
    assert set(mechanisms.index) == MECHANISMS
    assert mechanisms.index.is_unique


def test_mechanism_kinds_and_confidences_are_known(mechanisms):
    assert set(mechanisms["kind"]) <= {"art46", "adequacy", "derogation", "invalidated", "none"}
    assert set(mechanisms["confidence"]) <= {"C", "S", "U"}
    assert all(mechanisms["remediation"].str.len() > 20)
    assert all(mechanisms["legal_source"].str.len() > 5)


def test_invalidated_is_exactly_the_mechanisms_with_an_invalid_from_date(mechanisms):
    has_end = {m for m, v in mechanisms["invalid_from"].items() if v is not None}
    assert has_end == set(mechanisms.index[mechanisms["kind"] == "invalidated"])
    assert has_end == {"safe_harbor", "privacy_shield", "swiss_us_privacy_shield", "scc_2001", "scc_2004",
                       "scc_2010"}


@pytest.mark.parametrize("mechanism,invalid_from", [
    ("safe_harbor", "2015-10-06"), ("privacy_shield", "2020-07-16"), ("swiss_us_privacy_shield", "2020-09-08"),
    # old SCCs: valid until 2022-12-27 inclusive, so the first invalid day is 2022-12-28 (README)
    ("scc_2001", "2022-12-28"), ("scc_2004", "2022-12-28"), ("scc_2010", "2022-12-28"),
])
def test_invalidation_dates(mechanisms, mechanism, invalid_from):
    assert mechanisms.loc[mechanism, "invalid_from"] == D(invalid_from)


@pytest.mark.parametrize("mechanism", ["scc_2001", "scc_2004", "scc_2010"])
def test_old_sccs_stop_new_contracts_on_2021_09_27(mechanisms, mechanism):
    assert mechanisms.loc[mechanism, "new_contracts_until"] == D("2021-09-27")
    assert mechanisms.loc[mechanism, "new_contracts_until"] < mechanisms.loc[mechanism, "invalid_from"]


def test_only_old_sccs_have_a_new_contracts_date(mechanisms):
    assert {m for m, v in mechanisms["new_contracts_until"].items() if v} == {"scc_2001", "scc_2004", "scc_2010"}


@pytest.mark.parametrize("mechanism,valid_from", [
    ("scc_2021", "2021-06-27"), ("dpf", "2023-07-10"), ("privacy_shield", "2016-07-12"),
    ("safe_harbor", "2000-07-26"),
])
def test_valid_from(mechanisms, mechanism, valid_from):
    assert mechanisms.loc[mechanism, "valid_from"] == D(valid_from)


def test_valid_from_is_before_invalid_from(mechanisms):
    for mechanism, row in mechanisms.iterrows():
        if row["valid_from"] is not None and row["invalid_from"] is not None:
            assert row["valid_from"] < row["invalid_from"], mechanism


@pytest.mark.parametrize("mechanism,kind,article", [
    ("scc_2021", "art46", "46(2)(c)"), ("scc", "art46", "46(2)(c)"), ("bcr", "art46", "46(2)(b)"),
    ("code_of_conduct", "art46", "46(2)(e)"), ("certification", "art46", "46(2)(f)"),
    ("dpf", "adequacy", "45"), ("adequacy", "adequacy", "45"),
    ("derogation_consent", "derogation", "49(1)(a)"), ("derogation_contract", "derogation", "49(1)(b)-(c)"),
    ("none", "none", ""),
])
def test_kind_and_article(mechanisms, mechanism, kind, article):
    assert mechanisms.loc[mechanism, "kind"] == kind
    assert mechanisms.loc[mechanism, "article"] == article


def test_requires_tia(mechanisms):
    needs = set(mechanisms.index[mechanisms["requires_tia"]])
    assert needs == {"scc_2021", "scc_2010", "scc_2004", "scc_2001", "scc", "bcr", "code_of_conduct",
                     "certification"}


def test_occasional_only(mechanisms):
    assert set(mechanisms.index[mechanisms["occasional_only"]]) == {"derogation_contract", "derogation_other"}


@pytest.mark.parametrize("mechanism,citation", [
    ("safe_harbor", "C-362/14"), ("privacy_shield", "C-311/18"), ("privacy_shield", "2016/1250"),
    ("swiss_us_privacy_shield", "FDPIC"), ("scc_2021", "2021/914"), ("scc_2010", "2010/87/EU"),
    ("scc_2004", "2004/915/EC"), ("scc_2001", "2001/497/EC"), ("dpf", "2023/1795"),
])
def test_legal_source_cites_the_instrument(mechanisms, mechanism, citation):
    assert citation in mechanisms.loc[mechanism, "legal_source"]


def test_privacy_shield_remediation_points_to_sccs_and_the_dpf_list(mechanisms):
    text = mechanisms.loc["privacy_shield", "remediation"]
    assert "2021 SCCs" in text and "DPF List" in text


# --------------------------------------------------------------------------- aliases and terms

def test_every_alias_points_to_a_known_target(countries, mechanisms):
    assert set(ref.load_country_aliases()["code"]) <= set(countries.index)
    assert set(ref.load_mechanism_aliases()["mechanism"]) <= set(mechanisms.index)
    cats = ref.load_special_categories()
    assert set(cats["category"]) == CATEGORIES
    assert set(zip(cats["category"], cats["article"])) == {(c, 10 if c == "criminal" else 9) for c in CATEGORIES}


def test_languages_are_known():
    assert set(ref.load_country_aliases()["lang"]) <= {"en", "nl", "de", "fr", "eu", "iso-alpha3"}
    assert set(ref.load_mechanism_aliases()["lang"]) <= {"en", "nl", "de", "fr"}
    assert set(ref.load_special_categories()["lang"]) <= {"en", "nl", "de", "fr"}


def _clashes(pairs):
    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for text, target, key in pairs:
        if key in seen and seen[key][1] != target:
            clashes.append((seen[key][0], seen[key][1], text, target))
        seen.setdefault(key, (text, target))
    return clashes


def test_no_country_key_maps_to_two_places():
    countries = ref.load_countries()
    aliases = ref.load_country_aliases()
    pairs = [(c, c, ref._place_key(c)) for c in countries["code"]]
    pairs += [(n, c, ref._place_key(n)) for n, c in zip(countries["name"], countries["code"])]
    pairs += [(a, c, ref._place_key(a)) for a, c in zip(aliases["alias"], aliases["code"])]
    assert _clashes(pairs) == []


def test_no_mechanism_alias_maps_to_two_mechanisms():
    aliases = ref.load_mechanism_aliases()
    pairs = [(a, m, ref._plain_key(a)) for a, m in zip(aliases["alias"], aliases["mechanism"])]
    pairs += [(m, m, ref._plain_key(m)) for m in ref.load_mechanisms()["id"]]
    assert _clashes(pairs) == []


def test_no_special_category_term_maps_to_two_categories():
    cats = ref.load_special_categories()
    pairs = [(t, c, " ".join(ref._tokens(t)) + ("*" if t.endswith("*") else ""))
             for t, c in zip(cats["term"], cats["category"])]
    assert _clashes(pairs) == []


@pytest.mark.parametrize("alias,code", [
    ("UK", "GB"), ("EL", "GR"), ("USA", "US"), ("VS", "US"), ("Verenigde Staten", "US"),
    ("Vereinigte Staaten", "US"), ("États-Unis", "US"), ("Nederland", "NL"), ("Deutschland", "DE"),
    ("Schweiz", "CH"), ("Royaume-Uni", "GB"), ("Südkorea", "KR"), ("EER", "EEA"), ("EWR", "EEA"),
    ("Europese Unie", "EEA"), ("NLD", "NL"), ("DEU", "DE"),
])
def test_expected_aliases_are_in_the_file(alias, code):
    aliases = ref.load_country_aliases()
    assert aliases.loc[aliases["alias"] == alias, "code"].tolist() == [code]


def test_europe_alone_is_not_an_alias():
    keys = {ref._place_key(a) for a in ref.load_country_aliases()["alias"]}
    assert "europe" not in keys and "europa" not in keys


@pytest.mark.parametrize("alias,mechanism", [
    ("2010/87/EU", "scc_2010"), ("2004/915/EC", "scc_2004"), ("2001/497/EC", "scc_2001"), ("2021/914", "scc_2021"),
    ("Standardvertragsklauseln", "scc"), ("clauses contractuelles types", "scc"), ("Safe Harbour", "safe_harbor"),
    ("Angemessenheitsbeschluss", "adequacy"), ("bindende bedrijfsvoorschriften", "bcr"), ("-", "none"),
])
def test_expected_mechanism_aliases_are_in_the_file(alias, mechanism):
    aliases = ref.load_mechanism_aliases()
    assert aliases.loc[aliases["alias"] == alias, "mechanism"].tolist() == [mechanism]


def test_bsn_is_not_a_special_category_term():
    assert "bsn" not in {t.lower() for t in ref.load_special_categories()["term"]}


# --------------------------------------------------------------------------- the US frameworks in turn (facts §2, §3)

@pytest.mark.parametrize("id_,number,valid_from,valid_until,ended_by", [
    ("adequacy_us_safe_harbor", "2000/520/EC", "2000-07-26", "2015-10-05", "C-362/14"),
    ("adequacy_us_privacy_shield", "2016/1250", "2016-07-12", "2020-07-15", "C-311/18"),
    ("adequacy_us", "2023/1795", "2023-07-10", None, None),
])
def test_us_adequacy_history_is_data_with_its_dates_and_the_judgment_that_ended_it(all_adequacy, id_, number,
                                                                                    valid_from, valid_until, ended_by):
    """Safe Harbor from 2000-07-26 until Schrems I (2015-10-06), the Privacy Shield from 2016-07-12 until
    Schrems II (2020-07-16), the DPF from 2023-07-10: each for certified organisations only."""
    row = all_adequacy.loc[id_]
    assert row["country"] == "US" and row["scope_kind"] == "dpf_certified"
    assert number in row["instrument"] and number in row["legal_source"]
    assert row["valid_from"] == D(valid_from) == row["adopted"]
    assert row["valid_until"] == (D(valid_until) if valid_until else None)
    assert re.search(r"certif|DPF List", row["scope"])
    if ended_by:  # the day after valid_until is the judgment's day, named in the source
        assert ended_by in row["source"]
        assert ended_by not in row["legal_source"]  # cited while in force: the judgment came later


def test_no_two_decisions_for_one_country_overlap(all_adequacy):
    """One decision in force per country and day: the rules read the one in force on the evaluation date."""
    for country, rows in all_adequacy.groupby("country"):
        spans = sorted((r["valid_from"], r["valid_until"] or D("9999-12-31")) for _, r in rows.iterrows())
        for (a0, a1), (b0, b1) in zip(spans, spans[1:]):
            assert a1 < b0, country


def test_the_gdpr_applies_from_2018_05_25_and_earlier_dates_are_refused():
    assert ref.gdpr_applies_from() == D("2018-05-25")
    ref.check_evaluation_date(D("2018-05-25"))
    with pytest.raises(ref_errors().InputError, match="2018-05-25"):
        ref.check_evaluation_date(D("2018-05-24"))


def ref_errors():
    import ropa.errors
    return ropa.errors


def test_struck_down_mechanisms_come_from_the_dates_in_mechanisms_csv(mechanisms):
    """The extractor and the resolver rank the mechanisms ended outright first; which they are is read from
    mechanisms.csv (an invalid_from without a transition), not from a list in the code."""
    df = mechanisms.reset_index() if "id" not in mechanisms.columns else mechanisms
    expected = {r["id"] for _, r in df.iterrows() if r["invalid_from"] is not None and r["new_contracts_until"] is None}
    assert ref.struck_down_mechanisms() == expected == {"privacy_shield", "swiss_us_privacy_shield", "safe_harbor"}
    from ropa.extract import patterns
    assert patterns._INVALIDATED == expected


@pytest.mark.parametrize("loader, name, slot", [("controller_phrases", "controller_phrases.csv", "{NAME}"),
                                                ("service_phrases", "service_phrases.csv", "{NAMES}")])
def test_a_phrase_without_its_name_slot_is_refused_with_file_row_column_and_value(monkeypatch, loader, name, slot):
    from ropa.errors import ReferenceDataError
    from ropa.extract import vocab
    real_rows = vocab.rows
    good = dict(real_rows(name)[0])
    bad = dict(good, pattern="we are the controller")
    monkeypatch.setattr(vocab, "rows", lambda n: (good, bad) if n == name else real_rows(n))
    getattr(vocab, loader).cache_clear()
    try:
        with pytest.raises(ReferenceDataError) as err:
            getattr(vocab, loader)()
        message = str(err.value)
        assert name in message and "row 3" in message and "'pattern'" in message
        assert "'we are the controller'" in message and f"needs {slot} exactly once" in message
    finally:
        getattr(vocab, loader).cache_clear()
