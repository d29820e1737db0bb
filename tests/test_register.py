"""The register importer: what it accepts, and how it refuses what it cannot."""
import io

import pytest

from conftest import register_bytes, row
from ropa.errors import FormatError, ValidationError
from ropa.formats import read_file
from ropa.formats.register import read_register


def read(data: bytes, name="r.csv"):
    return read_register(io.BytesIO(data), name)


def orgs(g):
    return dict(zip(g.nodes["Organisation"]["name"], g.nodes["Organisation"]["country"]))


def test_canonical_row_becomes_the_documented_graph():
    g = read(register_bytes(row(recipient="Cloud Inc", recipient_role="processor", recipient_country="Verenigde Staten",
                                mechanism="Europese standaardcontractbepalingen", tia="nee", dpa="ja",
                                data_categories="name; gezondheidsgegevens", evidence="q")))
    assert orgs(g) == {"Acme BV": "NL", "Cloud Inc": "US"}
    hop = g.rels["DISCLOSES_TO"].iloc[0]
    assert (hop["mechanism"], hop["tia"], hop["dpa"], hop["row"], hop["exporter"]) == ("scc", False, True, 2, "acme bv")
    cats = dict(zip(g.nodes["DataCategory"]["name"], g.nodes["DataCategory"]["article"]))
    assert cats == {"name": None, "gezondheidsgegevens": 9}
    assert set(g.rels["PROCESSES_IN"]["inferred"]) == {True}


def test_engaged_by_builds_a_per_activity_chain():
    g = read(register_bytes(row(recipient="A GmbH", recipient_role="processor", recipient_country="DE"),
                            row(recipient="B Inc", engaged_by="a gmbh", recipient_country="US")))
    e = g.rels["ENGAGES"].iloc[0]
    assert (e["src"], e["dst"], e["role"], e["activity"]) == ("a gmbh", "b inc", "subprocessor", "acme bv::payroll")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_encodings_and_delimiters(encoding, delimiter):
    import csv
    from conftest import HEADER
    r = row(controller="Müller & Söhne GmbH", controller_country="Deutschland",
            recipient="Café Crème SARL", recipient_country="Frankrijk")
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter)
    w.writerow(HEADER)
    w.writerow([r.get(c, "") for c in HEADER])
    g = read(buf.getvalue().encode(encoding))
    assert orgs(g) == {"Müller & Söhne GmbH": "DE", "Café Crème SARL": "FR"}


def test_ico_and_cnil_headings_are_recognised():
    ico = ("controller,Business function,Purpose of processing,Categories of individuals,Categories of personal data,"
           "Categories of recipients,Names of third countries or international organisations that personal data are "
           "transferred to (if applicable),Retention schedule (if possible)\n"
           "Acme Ltd,HR,Payroll,employees,name,Payroll Co,India,6 years\n").encode()
    g = read(ico, "ico.csv")
    assert orgs(g)["Payroll Co"] == "IN" and g.nodes["Activity"].iloc[0]["retention"] == "6 years"
    cnil = ("Responsable du traitement;Nom du traitement;Finalité(s);Catégories de personnes concernées;Destinataires;"
            "Pays destinataire;Garanties\nExemple SAS;Paie;Payer;salariés;Paie Inc;États-Unis;clauses contractuelles types\n")
    g = read(cnil.encode("utf-8"), "cnil.csv")
    assert orgs(g)["Paie Inc"] == "US" and g.rels["DISCLOSES_TO"].iloc[0]["mechanism"] == "scc"


def test_xlsx_with_header_block_is_read():
    import pandas as pd
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as w:
        pd.DataFrame([["Name of the controller: Acme"], [""], ["controller", "activity", "recipient", "recipient_country"],
                      ["Acme", "Payroll", "Pay Inc", "USA"]]).to_excel(w, header=False, index=False)
    g = read(buf.getvalue(), "r.xlsx")
    assert orgs(g) == {"Acme": None, "Pay Inc": "US"}


def test_unknown_country_is_kept_and_warned_not_rejected():
    g = read(register_bytes(row(recipient="X", recipient_country="Atlantis")))
    assert orgs(g)["X"] == "?:Atlantis"
    assert any("Atlantis" in str(w) and w.severity == "warning" for w in g.warnings)


@pytest.mark.parametrize("override,column,value", [
    (dict(mechanism="pinky promise", recipient="X"), "mechanism", "pinky promise"),
    (dict(tia="perhaps", recipient="X"), "tia", "perhaps"),
    (dict(mechanism_date="2021-02-30", recipient="X"), "mechanism_date", "2021-02-30"),
    (dict(recipient_role="friend", recipient="X"), "recipient_role", "friend"),
    (dict(engaged_by="Nobody Ltd", recipient="X"), "engaged_by", "Nobody Ltd"),
    (dict(activity=""), "activity", ""),
])
def test_invalid_cells_are_named_by_row_column_and_value(override, column, value):
    with pytest.raises(ValidationError) as e:
        read(register_bytes(row(recipient="Ok Inc"), row(**override)), "bad.csv")
    p = next(p for p in e.value.problems if p.severity == "error")
    assert (p.file, p.row, p.column, p.value) == ("bad.csv", 3, column, value)
    assert "bad.csv, row 3" in str(e.value)


def test_every_problem_is_reported_at_once():
    with pytest.raises(ValidationError) as e:
        read(register_bytes(row(recipient="A", tia="x"), row(recipient="B", dpa="maybe")))
    assert {(p.row, p.column) for p in e.value.problems if p.severity == "error"} == {(2, "tia"), (3, "dpa")}


def test_conflicting_duplicate_recipient_is_refused_identical_one_warned():
    same = row(recipient="A", recipient_country="US")
    g = read(register_bytes(same, same))
    assert len(g.rels["DISCLOSES_TO"]) == 1 and any("duplicate" in str(w) for w in g.warnings)
    with pytest.raises(ValidationError, match="twice"):
        read(register_bytes(same, {**same, "mechanism": "scc_2021"}))


@pytest.mark.parametrize("data,message", [
    (b"", "empty"),
    (b"\x00\x01\x02binary", "binary"),
    (b"name,age\nx,1\n", "missing required column"),
    (b"PK\x03\x04junkjunkjunk", "XLSX"),
])
def test_unreadable_files_give_a_format_error(data, message):
    with pytest.raises(FormatError, match=message):
        read_file(io.BytesIO(data), "in.csv")


def test_ragged_row_with_extra_cells_is_refused():
    data = b"controller,activity\nAcme,Payroll,surprise\n"
    with pytest.raises(ValidationError) as e:
        read(data)
    assert e.value.problems[-1].row == 2 and e.value.problems[-1].value == "surprise"


def test_eea_region_words_count_as_inside_the_eea():
    for word in ["EEA", "in de EER", "EWR", "European Union"]:
        g = read(register_bytes(row(recipient="X", processing_countries=word)))
        places = g.rels["PROCESSES_IN"]
        assert set(places[places["src"] == "x"]["dst"]) == {"EEA"}, word


def test_template_and_samples_import_cleanly():
    from ropa.formats import read_path
    from ropa.samples import EXAMPLE_REGISTER, SEED_REGISTER, ROOT
    for p in [ROOT / "data" / "register-template.csv", EXAMPLE_REGISTER, SEED_REGISTER]:
        g = read_path(p)
        assert len(g.nodes["Activity"]) and not [w for w in g.warnings if w.severity == "error"]


def test_xlsx_cells_that_look_like_missing_values_are_kept():
    """Found by the round-trip property: pandas turned a vendor called "NULL" into nothing."""
    import pandas as pd
    buf = io.BytesIO()
    pd.DataFrame([["controller", "activity", "recipient"], ["Acme", "NA", "NULL"]]).to_excel(
        buf, header=False, index=False)
    g = read(buf.getvalue(), "r.xlsx")
    assert set(g.nodes["Organisation"]["name"]) == {"Acme", "NULL"} and list(g.nodes["Activity"]["name"]) == ["NA"]


def test_a_filled_down_no_on_a_row_without_a_recipient_is_a_warning_not_an_error():
    """Spreadsheets fill defaults: tia/dpa "no" (or "-") on a row that names no recipient are ignored with a
    warning; anything that claims something ("yes", a mechanism) still refuses the row."""
    import io as _io
    from conftest import register_bytes, row
    from ropa.errors import InputError
    from ropa.formats.register import read_register
    data = register_bytes(row(recipient="", tia="no", dpa="nee"), row(activity="Hiring", recipient="", dpa="-"))
    g = read_register(_io.BytesIO(data), "defaults.csv")
    assert len(g.nodes["Activity"]) == 2
    warned = {(w.row, w.column) for w in g.warnings if "no recipient" in w.message}
    assert warned == {(2, "tia"), (2, "dpa"), (3, "dpa")}
    assert all(w.severity == "warning" for w in g.warnings)
    for claim in (dict(tia="yes"), dict(dpa="no", mechanism="scc_2021")):
        with pytest.raises(InputError, match="recipient is empty"):
            read_register(_io.BytesIO(register_bytes(row(recipient="", **claim))), "claims.csv")
