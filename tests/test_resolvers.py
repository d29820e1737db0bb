"""The resolvers and loaders of ropa.reference: countries, mechanisms, yes/no, special categories."""
from __future__ import annotations

import ast
import doctest
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ropa import reference as ref  # noqa: E402
from ropa.errors import ReferenceDataError  # noqa: E402

COUNTRY_CODES = set(ref.load_countries()["code"])
MECHANISM_IDS = set(ref.load_mechanisms()["id"])
CATEGORY_CODES = set(ref.load_special_categories()["category"])


# --------------------------------------------------------------------------- resolve_country

@pytest.mark.parametrize("text,code", [
    ("UK", "GB"), ("uk", "GB"), ("EL", "GR"), ("GR", "GR"), ("Greece", "GR"),
    ("Verenigde Staten", "US"), ("VS", "US"), ("USA", "US"), ("U.S.", "US"), ("U.S.A.", "US"), ("usa", "US"),
    ("Vereinigte Staaten", "US"), ("Vereinigde Staaten", "US"), ("États-Unis", "US"), ("Etats-Unis", "US"),
    ("etats unis", "US"), ("America", "US"), ("United States of America", "US"),
    ("Nederland", "NL"), ("nl", "NL"), ("NLD", "NL"), ("the Netherlands", "NL"), ("Niederlande", "NL"),
    ("les Pays-Bas", "NL"), ("Holland", "NL"),
    ("DEU", "DE"), ("Deutschland", "DE"), ("Duitsland", "DE"), ("l'Allemagne", "DE"),
    ("België", "BE"), ("Belgie", "BE"), ("Belgien", "BE"), ("Belgique", "BE"),
    ("Zwitserland", "CH"), ("Schweiz", "CH"), ("Suisse", "CH"),
    ("Ierland", "IE"), ("Irland", "IE"), ("Irlande", "IE"),
    ("Verenigd Koninkrijk", "GB"), ("Großbritannien", "GB"), ("Grossbritannien", "GB"),
    ("Vereinigtes Königreich", "GB"), ("Royaume-Uni", "GB"), ("Great Britain", "GB"), ("England", "GB"),
    ("South Korea", "KR"), ("Korea", "KR"), ("Zuid-Korea", "KR"), ("Südkorea", "KR"), ("North Korea", "KP"),
    ("Japon", "JP"), ("Brésil", "BR"), ("Kanada", "CA"), ("Noorwegen", "NO"), ("Türkiye", "TR"),
    ("Turkey", "TR"), ("Côte d'Ivoire", "CI"), ("Faroe Islands", "FO"), ("Färöer", "FO"), ("Åland", "AX"),
    ("NA", "NA"), ("Namibia", "NA"), ("IN", "IN"), ("in India", "IN"), ("de", "DE"), ("NL.", "NL"),
    ("(BE)", "BE"), ("bel", "BE"),
    ("  Ireland  ", "IE"), ("Ireland.", "IE"), ("Dublin, Ireland", "IE"), ("Ireland (EU)", "IE"),
    ("Seoul, Korea, Republic of", "KR"), ("Korea, Republic of", "KR"),
    ("EEA", "EEA"), ("EER", "EEA"), ("EWR", "EEA"), ("EEE", "EEA"), ("EU", "EEA"), ("EER/EU", "EEA"),
    ("in de EER", "EEA"), ("within the EU", "EEA"), ("European Economic Area", "EEA"),
    ("Europese Economische Ruimte", "EEA"), ("Europäischer Wirtschaftsraum", "EEA"),
    ("Espace économique européen", "EEA"), ("European Union", "EEA"), ("Union européenne", "EEA"),
    ("EPO", "IO:EPO"), ("IO:EPO", "IO:EPO"), ("European Patent Organisation", "IO:EPO"),
])
def test_resolve_country(text, code):
    assert ref.resolve_country(text) == code


@pytest.mark.parametrize("text", ["Atlantis", "Europe", "", "   ", None, "-", "n/a", "N.A.", "n.a.", "Dublin", "XX",
                                  "nan", "Ireland, Dublin", "N/L", "U-S-A-X"])
def test_resolve_country_unresolved(text):
    assert ref.resolve_country(text) is None


def test_every_country_name_code_and_alias_resolves_to_its_own_code():
    countries = ref.load_countries()
    aliases = ref.load_country_aliases()
    pairs = list(zip(countries["code"], countries["code"])) + list(zip(countries["name"], countries["code"]))
    pairs += list(zip(countries["code"].str.lower(), countries["code"]))
    pairs += list(zip(aliases["alias"], aliases["code"]))
    wrong = [(text, code, ref.resolve_country(text)) for text, code in pairs if ref.resolve_country(text) != code]
    assert wrong == []


@settings(max_examples=200, deadline=None)
@given(row=st.sampled_from(list(zip(ref.load_country_aliases()["alias"], ref.load_country_aliases()["code"]))),
       upper=st.booleans(), pad=st.sampled_from(["", " ", "  ", "\t", " . "]))
def test_resolve_country_ignores_case_and_padding(row, upper, pad):
    alias, code = row
    text = alias.upper() if upper else alias.lower()
    assert ref.resolve_country(pad + text + pad) == code


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_resolve_country_never_fails_on_any_text(text):
    assert ref.resolve_country(text) in COUNTRY_CODES | {None}


# --------------------------------------------------------------------------- is_eea

@pytest.mark.parametrize("code,expected", [
    ("NL", True), ("nl", True), ("NO", True), ("IS", True), ("LI", True), ("EEA", True), ("GR", True),
    ("EL", True), ("RE", True), ("Noorwegen", True), ("CH", False), ("GB", False), ("UK", False),
    ("FO", False), ("US", False), ("IO:EPO", False), ("Atlantis", False), ("", False), (None, False),
])
def test_is_eea(code, expected):
    assert ref.is_eea(code) is expected


# --------------------------------------------------------------------------- resolve_mechanism

@pytest.mark.parametrize("text,mechanism", [
    # English
    ("Standard Contractual Clauses", "scc"), ("SCC", "scc"), ("SCCs", "scc"), ("EU SCCs", "scc"),
    ("standard contractual clauses", "scc"), ("model clauses", "scc"), ("Art. 46(2)(c) GDPR", "scc"),
    ("Privacy Shield", "privacy_shield"), ("EU-US Privacy Shield", "privacy_shield"),
    ("EU-U.S. Privacy Shield", "privacy_shield"), ("PrivacyShield", "privacy_shield"),
    ("Swiss-US Privacy Shield", "swiss_us_privacy_shield"), ("Privacy Shield (Swiss)", "swiss_us_privacy_shield"),
    ("EU/Swiss-US Privacy Shield", "privacy_shield"),
    ("Safe Harbor", "safe_harbor"), ("Safe Harbour", "safe_harbor"),
    ("Data Privacy Framework", "dpf"), ("EU-US DPF", "dpf"), ("DPF", "dpf"), ("Adequacy decision (EU-US DPF)", "dpf"),
    ("DPF (formerly Privacy Shield)", "dpf"),
    ("adequacy decision", "adequacy"), ("adequacy", "adequacy"), ("Art. 45 GDPR", "adequacy"),
    ("Binding Corporate Rules", "bcr"), ("BCR", "bcr"), ("Art. 47 GDPR", "bcr"),
    ("approved code of conduct", "code_of_conduct"), ("certification", "certification"),
    ("explicit consent", "derogation_consent"), ("Art. 49(1)(a)", "derogation_consent"),
    ("derogation under Art. 49(1)(a)", "derogation_consent"),
    ("Art. 49(1)(b)", "derogation_contract"), ("49(1)(c)", "derogation_contract"),
    ("contract necessity", "derogation_contract"),
    ("Art. 49(1)(e)", "derogation_other"), ("Art. 49", "derogation_other"), ("legal claims", "derogation_other"),
    ("none", "none"), ("n/a", "none"), ("-", "none"), ("", "none"), ("   ", "none"), (None, "none"),
    ("none_stated", "none"),
    # Dutch
    ("Europese standaardcontractbepalingen", "scc"), ("standaardcontractbepalingen", "scc"),
    ("modelcontractbepalingen", "scc"), ("SCC's", "scc"), ("EU-VS Privacy Shield Overeenkomst", "privacy_shield"),
    ("adequaatheidsbesluit", "adequacy"), ("passend beschermingsniveau", "adequacy"),
    ("bindende bedrijfsvoorschriften", "bcr"), ("uitdrukkelijke toestemming", "derogation_consent"),
    ("artikel 49 lid 1 sub e AVG", "derogation_other"), ("geen", "none"), ("n.v.t.", "none"),
    # German
    ("Standardvertragsklauseln", "scc"), ("EU-Standardvertragsklauseln", "scc"), ("Privacy-Shield", "privacy_shield"),
    ("Angemessenheitsbeschluss", "adequacy"), ("verbindliche interne Datenschutzvorschriften", "bcr"),
    ("ausdrückliche Einwilligung", "derogation_consent"), ("Art. 49 Abs. 1 lit. b DSGVO", "derogation_contract"),
    ("Art. 46 Abs. 2 lit. c DSGVO", "scc"), ("keine", "none"),
    # French
    ("clauses contractuelles types", "scc"), ("CCT", "scc"), ("décision d'adéquation", "adequacy"),
    ("decision d adequation", "adequacy"), ("règles d'entreprise contraignantes", "bcr"),
    ("consentement explicite", "derogation_consent"), ("aucun", "none"),
    # canonical ids
    ("scc_2021", "scc_2021"), ("swiss_us_privacy_shield", "swiss_us_privacy_shield"),
    ("derogation_consent", "derogation_consent"), ("none", "none"),
])
def test_resolve_mechanism(text, mechanism):
    assert ref.resolve_mechanism(text) == mechanism


@pytest.mark.parametrize("text,mechanism", [
    ("Standard Contractual Clauses (2021)", "scc_2021"), ("SCCs 2010/87/EU", "scc_2010"),
    ("SCC 2010", "scc_2010"), ("2010/87/EU", "scc_2010"), ("2004/915/EC", "scc_2004"), ("2001/497/EC", "scc_2001"),
    ("2021/914", "scc_2021"), ("EU SCCs (Implementing Decision (EU) 2021/914)", "scc_2021"),
    ("Standardvertragsklauseln 2021", "scc_2021"), ("clauses contractuelles types 2010/87/UE", "scc_2010"),
    ("EU Standard Contractual Clauses (Module 2)", "scc_2021"),
    ("standard contractual clauses", "scc"), ("SCCs signed 2019", "scc"),
    ("Standard Contractual Clauses (SCCs) or other legal mechanisms to adequately protect", "scc"),
])
def test_scc_version_detection(text, mechanism):
    assert ref.resolve_mechanism(text) == mechanism


@pytest.mark.parametrize("text", [
    "magic", "UK IDTA", "no adequacy decision", "geen adequaatheidsbesluit", "none of the above",
    "SCC 2021/915",  # the Art. 28(7) clauses, not a transfer tool
    "ISO 27001 certification", "Europe",
])
def test_resolve_mechanism_unrecognised(text):
    assert ref.resolve_mechanism(text) is None


def test_every_mechanism_alias_and_id_resolves_to_its_own_mechanism():
    aliases = ref.load_mechanism_aliases()
    pairs = list(zip(aliases["alias"], aliases["mechanism"])) + [(m, m) for m in MECHANISM_IDS]
    wrong = [(text, m, ref.resolve_mechanism(text)) for text, m in pairs if ref.resolve_mechanism(text) != m]
    assert wrong == []


@pytest.mark.parametrize("first,second,winner", [
    ("SCCs", "Privacy Shield", "privacy_shield"),        # an invalidated mechanism is always flagged
    ("Safe Harbor", "SCCs", "safe_harbor"),
    ("BCR", "SCCs", "bcr"),                              # otherwise the first specific one named
    ("adequacy decision", "SCCs", "scc"),                # generic words lose to a specific mechanism
    ("Art. 49", "explicit consent", "derogation_consent"),
])
def test_several_mechanisms_named(first, second, winner):
    assert ref.resolve_mechanism(f"{first}; {second}") == winner


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_resolve_mechanism_never_fails_on_any_text(text):
    assert ref.resolve_mechanism(text) in MECHANISM_IDS | {None}


# --------------------------------------------------------------------------- parse_bool

@pytest.mark.parametrize("text,expected", [
    ("yes", True), ("Yes", True), ("YES", True), ("y", True), ("ja", True), ("J", True), ("oui", True),
    ("true", True), ("TRUE", True), ("1", True), ("wahr", True), (" ja ", True), (True, True), (1, True),
    ("no", False), ("N", False), ("nee", False), ("nein", False), ("non", False), ("false", False), ("0", False),
    ("falsch", False), (False, False), (0, False), (0.0, False),
    ("", None), ("  ", None), (None, None), (float("nan"), None),
])
def test_parse_bool(text, expected):
    assert ref.parse_bool(text) is expected


@pytest.mark.parametrize("text", ["maybe", "yes please", "2", "-", "n/a", "unknown", "ok", 2, "si"])
def test_parse_bool_rejects(text):
    with pytest.raises(ValueError, match="not a yes/no value"):
        ref.parse_bool(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=12))
def test_parse_bool_returns_or_raises_value_error(text):
    try:
        result = ref.parse_bool(text)
    except ValueError:
        return
    assert result in (True, False, None)
    assert (result is None) == (text.strip() == "")


# --------------------------------------------------------------------------- classify_category

@pytest.mark.parametrize("text,category", [
    ("health", "health"), ("health data", "health"), ("Patient health records", "health"), ("healthcare", "health"),
    ("medical", "health"), ("medical history", "health"), ("gezondheid", "health"),
    ("gezondheidsgegevens", "health"), ("medische gegevens", "health"), ("Gesundheitsdaten", "health"),
    ("Gesundheit", "health"), ("données de santé", "health"), ("DONNEES DE SANTE", "health"),
    ("name; address; health data", "health"), ("sick leave", "health"), ("ziekteverzuim", "health"),
    ("biometric", "biometric_unique_id"), ("biometrisch", "biometric_unique_id"),
    ("biometrische Daten", "biometric_unique_id"), ("fingerprint", "biometric_unique_id"),
    ("fingerprints", "biometric_unique_id"), ("vingerafdruk", "biometric_unique_id"),
    ("trade union", "trade_union_membership"), ("vakbond", "trade_union_membership"),
    ("vakbondslidmaatschap", "trade_union_membership"), ("Gewerkschaft", "trade_union_membership"),
    ("appartenance syndicale", "trade_union_membership"),
    ("religion", "religious_philosophical_beliefs"), ("religie", "religious_philosophical_beliefs"),
    ("geloof", "religious_philosophical_beliefs"), ("Religion", "religious_philosophical_beliefs"),
    ("ethnic", "racial_ethnic_origin"), ("etnische afkomst", "racial_ethnic_origin"),
    ("ethnische Herkunft", "racial_ethnic_origin"), ("race", "racial_ethnic_origin"),
    ("political", "political_opinions"), ("politieke voorkeur", "political_opinions"),
    ("politische Meinung", "political_opinions"), ("opinions politiques", "political_opinions"),
    ("sexual orientation", "sex_life_orientation"), ("seksuele geaardheid", "sex_life_orientation"),
    ("sexuelle Orientierung", "sex_life_orientation"), ("sex life", "sex_life_orientation"),
    ("genetic", "genetic"), ("genetisch", "genetic"), ("DNA sample", "genetic"),
])
def test_classify_article_9(text, category):
    assert ref.classify_category(text) == (category, 9)


@pytest.mark.parametrize("text", [
    "criminal", "criminal record", "criminal convictions", "strafrechtelijk", "strafrechtelijke gegevens",
    "strafbare feiten", "Strafregister", "Strafregisterauszug", "Vorstrafen", "VOG", "casier judiciaire",
    "Führungszeugnis",
])
def test_classify_article_10(text):
    assert ref.classify_category(text) == ("criminal", 10)


@pytest.mark.parametrize("text", [
    "email address", "trace id", "racing results", "terrace", "grace period", "embrace", "BSN", "IBAN",
    "IP address", "name", "politically exposed person", "geloofwaardigheid", "syndicated content",
    "DNS records", "late payment penalty", "politique de confidentialité", "European Union", "trades",
    "", None,
])
def test_classify_negative(text):
    assert ref.classify_category(text) == (None, None)


def test_every_term_classifies_to_its_own_category():
    cats = ref.load_special_categories()
    wrong = []
    for term, category, article in zip(cats["term"], cats["category"], cats["article"]):
        text = term.replace("*", "")
        if ref.classify_category(text) != (category, article):
            wrong.append((term, category, ref.classify_category(text)))
    assert wrong == []


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_classify_category_never_fails_on_any_text(text):
    category, article = ref.classify_category(text)
    assert (category is None) == (article is None)
    assert category is None or (category in CATEGORY_CODES and article in (9, 10))


# --------------------------------------------------------------------------- loaders and the module itself

@pytest.mark.parametrize("loader", [ref.load_countries, ref.load_country_aliases, ref.load_adequacy,
                                    ref.load_mechanisms, ref.load_mechanism_aliases, ref.load_special_categories])
def test_loaders_hand_out_copies(loader):
    first = loader()
    column = first.columns[0]
    first.loc[first.index[0], column] = "tampered"
    first.drop(first.index[1:], inplace=True)
    second = loader()
    assert second.loc[second.index[0], column] != "tampered"
    assert len(second) > 1


def test_data_dir_is_the_repository_reference_folder():
    assert ref.DATA_DIR == ROOT / "data" / "reference"
    assert (ref.DATA_DIR / "countries.csv").is_file()


def _write_countries(tmp_path, eea_value):
    (tmp_path / "countries.csv").write_text(
        "code,name,eea,eu,note,source,reviewed\n"
        f"NL,Netherlands,{eea_value},true,,test,2026-11-22\n", encoding="utf-8")


def test_bad_flag_in_reference_data_names_file_row_column_and_value(tmp_path, monkeypatch):
    _write_countries(tmp_path, "yes")
    monkeypatch.setattr(ref, "DATA_DIR", tmp_path)
    with pytest.raises(ReferenceDataError) as info:
        ref._read.__wrapped__("countries.csv")
    message = str(info.value)
    assert "countries.csv" in message and "row 2" in message and "'eea'" in message and "'yes'" in message


def test_bad_date_and_missing_column_in_reference_data_are_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(ref, "DATA_DIR", tmp_path)
    (tmp_path / "mechanism_aliases.csv").write_text(
        "alias,mechanism,lang,source,reviewed\nSCC,scc,en,test,2026-13-01\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match="reviewed"):
        ref._read.__wrapped__("mechanism_aliases.csv")
    (tmp_path / "country_aliases.csv").write_text("alias,code\nUK,GB\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match="missing column"):
        ref._read.__wrapped__("country_aliases.csv")


def test_docstring_examples():
    result = doctest.testmod(ref, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 10 and result.failed == 0


def test_module_is_a_pure_library_without_pycountry():
    source = (ROOT / "ropa" / "reference.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {(node.module or "").split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not imported & {"pycountry", "streamlit", "click", "sys"}
    calls = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert not calls & {"print", "exit", "quit", "input"}


@pytest.mark.parametrize("name", [n for n in ref.__all__ if n != "DATA_DIR"])
def test_public_functions_have_a_docstring_with_an_example(name):
    doc = getattr(ref, name).__doc__ or ""
    assert ">>>" in doc
