"""Every format writes and reads back the same RoPA (property-based)."""
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import register_bytes
from strategies import EXTRA, ropas
from ropa.formats import read_file, write_file
from ropa.formats.graphio import with_countries
from ropa.formats.register import read_register

NAMES = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")),
                min_size=1, max_size=20).map(lambda s: " ".join(s.replace(";", " ").split())).filter(bool)
EXT = {"csv": "csv", "xlsx": "xlsx", "bundle": "zip", "json": "json", "graphml": "graphml"}


@st.composite
def registers(draw):
    controller = draw(NAMES)
    controller_country = draw(st.sampled_from(["NL", "DE", ""]))
    places: dict[str, tuple[str, str]] = {}  # one seat and location per organisation, as a register must say
    rows = []
    # Distinct activity names: two rows of one activity with different purposes are refused, rightly.
    for activity in draw(st.lists(NAMES, min_size=1, max_size=3, unique_by=lambda n: " ".join(n.split()).casefold())):
        base = dict(controller=controller, controller_country=controller_country,
                    activity=activity, purpose=draw(st.sampled_from(["", "=cmd|' /C calc'!A0", "Payroll"])),
                    data_categories=";".join(draw(st.lists(NAMES, max_size=3))),
                    data_subjects=";".join(draw(st.lists(NAMES, max_size=2))))
        recipients = draw(st.lists(NAMES.filter(lambda n: n.casefold() != controller.casefold()),
                                   max_size=3, unique_by=str.casefold))
        if not recipients:
            rows.append(base)
        for i, r in enumerate(recipients):
            seat, where = places.setdefault(r.casefold(), (draw(st.sampled_from(["US", "CH", "FR", "Atlantis", ""])),
                                                           draw(st.sampled_from(["", "US;DE", "EEA"]))))
            rows.append({**base, "recipient": r, "recipient_country": seat, "processing_countries": where,
                         "engaged_by": recipients[i - 1] if i and draw(st.booleans()) else "",
                         "mechanism": draw(st.sampled_from(["", "scc_2021", "privacy_shield", "dpf"])),
                         "mechanism_date": draw(st.sampled_from(["", "2020-01-31"])),
                         "tia": draw(st.sampled_from(["", "yes", "no"])),
                         "evidence": draw(st.sampled_from(["", "<script>alert(1)</script>", "@SUM(1+1)", "plain"]))})
    return rows


def canonical(g, drop_rows=False):
    c = with_countries(g).canonical()
    if drop_rows:  # row numbers are positions in the file written, so they change on re-export
        for part in c.values():
            for recs in part.values():
                for r in recs:
                    r.pop("row", None)
                    if "quote" in r:
                        r.pop("quote")
    return c


@pytest.mark.parametrize("fmt", list(EXT))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=registers())
def test_round_trip_keeps_everything(fmt, rows):
    g = read_register(io.BytesIO(register_bytes(*rows)), "in.csv")
    buf = io.BytesIO()
    write_file(g, buf, fmt)
    back = read_file(io.BytesIO(buf.getvalue()), "out." + EXT[fmt])
    assert_same(g, back, register_like=fmt in ("csv", "xlsx"))


def assert_same(g, back, register_like):
    want, got = canonical(g, register_like), canonical(back, register_like)
    for part in want:
        for table in want[part]:
            missing = [r for r in want[part][table] if r not in got[part][table]]
            extra = [r for r in got[part][table] if r not in want[part][table]]
            assert not missing and not extra, (table, missing[:2], extra[:2])


@settings(max_examples=max(1, settings().max_examples // 2), deadline=None)
@given(rows=ropas(tricky=True), chain=st.lists(st.sampled_from(list(EXT)), min_size=1, max_size=3))
def test_every_column_and_awkward_value_survives_a_chain_of_formats(rows, chain):
    """Every register column (optional ones too) and values like 'NULL', "'=x", '0012' or 'a,b' in names and
    text, written and read back through one format after another, come back unchanged."""
    g = read_register(io.BytesIO(register_bytes(*rows, extra_columns=EXTRA)), "in.csv")
    back = g
    for fmt in chain:
        buf = io.BytesIO()
        write_file(back, buf, fmt)
        back = read_file(io.BytesIO(buf.getvalue()), "out." + EXT[fmt])
    assert_same(g, back, register_like=any(f in ("csv", "xlsx") for f in chain))


def test_export_neutralises_formulas_but_reads_back_the_value():
    g = read_register(io.BytesIO(register_bytes(dict(controller="=HYPERLINK(\"http://x\")", activity="@SUM(1+1)"))))
    buf = io.BytesIO()
    write_file(g, buf, "csv")
    text = buf.getvalue().decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'@SUM" in text
    assert read_file(io.BytesIO(buf.getvalue()), "x.csv").nodes["Organisation"].iloc[0]["name"].startswith("=HYPER")


@pytest.mark.parametrize("payload", [
    b'<?xml version="1.0"?><!DOCTYPE g [<!ENTITY x SYSTEM "file:///etc/passwd">]><graphml>&x;</graphml>',
    b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><graphml>&b;</graphml>',
])
def test_graphml_entities_are_refused(payload):
    from ropa.errors import FormatError
    with pytest.raises(FormatError, match="DOCTYPE"):
        read_file(io.BytesIO(payload), "evil.graphml")


def test_relationship_to_missing_node_is_named():
    from ropa.errors import ValidationError
    from ropa.formats.graphio import read_bundle_files
    nodes = b"label,id,name\nOrganisation,a,A\n"
    rels = b"type,src_label,src,dst_label,dst\nENGAGES,Organisation,a,Organisation,ghost\n"
    with pytest.raises(ValidationError, match="ghost"):
        read_bundle_files(nodes, rels, "b.zip")


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "bundle"])
@pytest.mark.parametrize("value", ["'=x"])
def test_a_quote_before_a_formula_starter_survives_a_spreadsheet_format(fmt, value):
    """A name that already starts with a quote (from GraphML or JSON) is not mistaken for a neutralised formula."""
    g = read_register(io.BytesIO(register_bytes(dict(controller="PLACEHOLDER", activity="Payroll"))))
    buf = io.BytesIO()
    write_file(g, buf, "json")
    g = read_file(io.BytesIO(buf.getvalue().replace(b'"PLACEHOLDER"', b'"' + value.encode() + b'"')), "g.json")
    assert list(g.nodes["Organisation"]["name"]) == [value]
    buf = io.BytesIO()
    write_file(g, buf, fmt)
    back = read_file(io.BytesIO(buf.getvalue()), "out." + EXT[fmt])
    assert list(back.nodes["Organisation"]["name"]) == [value]


@pytest.mark.parametrize("fmt", list(EXT))
def test_evidence_provenance_survives_every_format_and_the_store(fmt, tmp_path):
    """The document's title and file name or URL and the quote's place (from a notice import) come back
    from every export format and from the store (embedded); a register without them still reads (None)."""
    from conftest import row
    from ropa.backends.embedded import EmbeddedBackend
    cols = ("source_title", "source_location", "evidence_at")
    rows = [row(recipient="Mail Inc", recipient_role="processor", recipient_country="US", mechanism="scc_2021",
                evidence="Wir nutzen Mail Inc.", source="notice:acme.html", source_title="Datenschutz bei Acme",
                source_location="acme.html", evidence_at="section “Empfänger”, line 12, characters 340–360"),
            row(activity="Payroll", recipient="Bank AG", recipient_role="processor", source="notice:acme.html")]
    g = read_register(io.BytesIO(register_bytes(*rows, extra_columns=cols)), "in.csv")
    docs = g.nodes["Document"].set_index("id")
    assert docs.loc["notice:acme.html", "title"] == "Datenschutz bei Acme"
    assert docs.loc["notice:acme.html", "location"] == "acme.html"
    assert set(g.rels["DISCLOSES_TO"]["evidence_at"]) == {"section “Empfänger”, line 12, characters 340–360", None}
    buf = io.BytesIO()
    write_file(g, buf, fmt)
    back = read_file(io.BytesIO(buf.getvalue()), "out." + EXT[fmt])
    assert_same(g, back, register_like=fmt in ("csv", "xlsx"))
    with EmbeddedBackend(tmp_path / "s.lbdb") as s:
        s.replace(back)
    with EmbeddedBackend(tmp_path / "s.lbdb", read_only=True) as s:
        assert_same(g, s.export(), register_like=False)
    old = read_register(io.BytesIO(register_bytes(*rows)), "in.csv")
    assert old.nodes["Document"]["title"].isna().all()
