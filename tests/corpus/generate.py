"""The corpus files that are big, binary or encoding-sensitive, made in code rather than committed.

Each function returns the bytes of one file; ``manifest.json`` names them under ``"make"``.
"""
from __future__ import annotations

import datetime as dt
import io
import zipfile

from ropa.xlsx import column_letter

HEADER = ("controller,controller_country,activity,purpose,legal_basis,data_subjects,data_categories,retention,"
          "security_measures,recipient,recipient_role,engaged_by,recipient_country,mechanism,mechanism_date,"
          "tia,dpa,evidence")
COLUMNS = HEADER.split(",")


def _row(**kw) -> list[str]:
    base = dict(controller="Acme BV", controller_country="NL", activity="Payroll", purpose="Pay staff",
                legal_basis="contract", data_subjects="employees", data_categories="name", retention="7 years",
                security_measures="encryption", recipient="Cloud Inc", recipient_role="processor",
                recipient_country="US", mechanism="scc_2021", mechanism_date="2022-01-10", tia="yes", dpa="yes")
    base.update(kw)
    return [base.get(c, "") for c in COLUMNS]


def _csv(*rows: list[str], eol: str = "\n") -> str:
    import csv
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=eol)
    w.writerow(COLUMNS)
    w.writerows(rows)
    return buf.getvalue()


def _zip(files: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def _xlsx(rows: list[list]) -> bytes:
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# -- register CSV ---------------------------------------------------------------------------------

def utf8_bom() -> bytes:
    return ("\ufeff" + _csv(_row(controller="Zorggroep Noord BV", recipient="Cloud Inc"))).encode("utf-8")


def cp1252_german() -> bytes:
    return _csv(_row(controller="Müller & Söhne GmbH", controller_country="Deutschland", activity="Gehaltsabrechnung",
                     recipient="Straßburger Lohnbüro AG", recipient_country="Österreich", mechanism="",
                     mechanism_date="", tia="", evidence="Auftragsverarbeitungsvertrag § 28 – unterzeichnet")
                ).encode("cp1252")


def latin1_dutch() -> bytes:
    return _csv(_row(controller="Coöperatie Zuivel Één U.A.", activity="Ledenadministratie",
                     recipient="Café Crème Diensten BV", recipient_country="België", mechanism="", mechanism_date="",
                     tia="")).encode("latin-1")


def mixed_utf8_cp1252() -> bytes:
    """Rows pasted from a cp1252 file into a UTF-8 one: each row must be read in its own encoding."""
    lines = _csv(_row(controller="Müller & Söhne GmbH", recipient="Straßburger Lohnbüro AG"),
                 _row(controller="Müller & Söhne GmbH", activity="Billing", recipient="Café Crème SARL")).splitlines()
    return (lines[0] + "\n" + lines[1] + "\n").encode("utf-8") + (lines[2] + "\n").encode("cp1252")


def mixed_line_endings() -> bytes:
    rows = [",".join(_row(activity=a, recipient=r)) for a, r in
            (("Payroll", "Cloud Inc"), ("Recruitment", "Jobs Inc"), ("Marketing", "Mail Inc"))]
    return (HEADER + "\r\n" + rows[0] + "\n" + rows[1] + "\r" + rows[2] + "\r\n").encode("utf-8")


def megabyte_cell() -> bytes:
    return _csv(_row(evidence="A" * 1_000_000)).encode("utf-8")


def binary_named_csv() -> bytes:
    return bytes(range(256)) * 64  # NUL bytes and everything else


def undecodable_csv() -> bytes:
    # Not UTF-8, and 0x81 / 0x8d / 0x8f / 0x90 / 0x9d are undefined in cp1252: no NUL, still not text.
    return HEADER.encode() + b"\n" + b"Acme BV,NL,Payroll\x81\x8d\x8f\x90\x9d\n"


# -- register XLSX --------------------------------------------------------------------------------

def xlsx_zip_of_junk() -> bytes:
    return _zip({"[Content_Types].xml": b"<Types junk", "xl/workbook.xml": b"\x00\x01junk", "junk.bin": b"junk" * 100})


def xlsx_that_is_csv() -> bytes:
    return _csv(_row()).encode("utf-8")


def xlsx_empty_sheet() -> bytes:
    return _xlsx([])


def xlsx_header_only() -> bytes:
    return _xlsx([COLUMNS])


def xlsx_impossible_date() -> bytes:
    return _xlsx([COLUMNS, _row(mechanism_date="2023-02-30")])


def xlsx_excel_dates() -> bytes:
    r = _row()
    r[COLUMNS.index("mechanism_date")] = dt.datetime(2022, 1, 10)  # a real date cell, as Excel stores it
    return _xlsx([COLUMNS, r])


def _sheet_xml(rows: list[list[str]]) -> bytes:
    """A worksheet of inline strings, written by hand: openpyxl cuts a cell at 32767 characters on writing."""
    from xml.sax.saxutils import escape
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
           '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>']
    for i, r in enumerate(rows, start=1):
        cells = "".join(f'<c r="{column_letter(j)}{i}" t="inlineStr"><is><t>{escape(v)}</t></is></c>' for j, v in enumerate(r))
        out.append(f'<row r="{i}">{cells}</row>')
    out.append("</sheetData></worksheet>")
    return "".join(out).encode("utf-8")



def xlsx_megabyte_cell() -> bytes:
    real = xlsx_header_only()
    with zipfile.ZipFile(io.BytesIO(real)) as z:
        files = {n: z.read(n) for n in z.namelist()}
    files["xl/worksheets/sheet1.xml"] = _sheet_xml([COLUMNS, _row(evidence="B" * 1_000_000)])
    return _zip(files)


def xlsx_zip_bomb() -> bytes:
    real = xlsx_header_only()
    with zipfile.ZipFile(io.BytesIO(real)) as z:
        files = {n: z.read(n) for n in z.namelist()}
    files["xl/worksheets/sheet1.xml"] = b"<?xml version='1.0'?>" + b" " * (64 * 1024 * 1024)
    return _zip(files)


# -- graph bundle ---------------------------------------------------------------------------------

NODES = "label,id,name,country\r\nOrganisation,acme bv,Acme BV,NL\r\nOrganisation,cloud inc,Cloud Inc,US\r\n"
RELS = "type,src_label,src,dst_label,dst,activity\r\n"


def bundle_missing_node() -> bytes:
    return _zip({"nodes.csv": NODES.encode(), "relationships.csv":
                 (RELS + "ENGAGES,Organisation,cloud inc,Organisation,ghost hosting,acme bv::payroll\r\n").encode()})


def bundle_duplicate_ids() -> bytes:
    return _zip({"nodes.csv": (NODES + "Organisation,cloud inc,Cloud Incorporated,FR\r\n").encode(),
                 "relationships.csv": RELS.encode()})


def bundle_cycle() -> bytes:
    nodes = NODES + "Organisation,beta inc,Beta Inc,US\r\n"
    rels = (RELS + "ENGAGES,Organisation,cloud inc,Organisation,beta inc,acme bv::payroll\r\n"
            "ENGAGES,Organisation,beta inc,Organisation,cloud inc,acme bv::payroll\r\n")
    return _zip({"nodes.csv": nodes.encode(), "relationships.csv": rels.encode()})


def bundle_bad_int() -> bytes:
    return _zip({"nodes.csv": b"label,id,name,row\r\nActivity,acme bv::payroll,Payroll,twelve\r\n",
                 "relationships.csv": RELS.encode()})


def bundle_without_relationships() -> bytes:
    return _zip({"nodes.csv": NODES.encode()})


def bundle_garbage_relationships() -> bytes:
    return _zip({"nodes.csv": NODES.encode(), "relationships.csv": b"\x89PNG;;whatever,this,was\r\n"})


def bundle_binary_member() -> bytes:
    return _zip({"nodes.csv": bytes(range(256)) * 16, "relationships.csv": RELS.encode()})


def bundle_zip_bomb() -> bytes:
    return _zip({"nodes.csv": NODES.encode() + b"\r\n" * (12 * 1024 * 1024), "relationships.csv": RELS.encode()})


def bundle_reference_override() -> bytes:
    nodes = NODES + ("Country,US,United States (in the EEA says this file),\r\n"
                     "Mechanism,privacy_shield,,\r\n")
    nodes = nodes.replace("label,id,name,country", "label,id,name,country,eea,invalid_from")
    nodes = nodes.replace("United States (in the EEA says this file),", "United States (in the EEA says this file),,true,")
    nodes = nodes.replace("Mechanism,privacy_shield,,", "Mechanism,privacy_shield,,,,2099-01-01")
    rels = RELS + "ESTABLISHED_IN,Organisation,cloud inc,Country,US,\r\n"
    return _zip({"nodes.csv": nodes.encode(), "relationships.csv": rels.encode()})


# -- GraphML, node-link JSON ----------------------------------------------------------------------

def billion_laughs_utf16() -> bytes:
    from pathlib import Path
    text = (Path(__file__).parent / "billion_laughs.graphml").read_text("utf-8")
    return text.replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>').encode("utf-16")


def json_deep_nesting() -> bytes:
    return b'{"nodes": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"


def json_invalid_utf8() -> bytes:
    return b'{"nodes": [{"id": "a", "label": "Organisation", "name": "Acme \xff\xfe BV"}]}'


# -- privacy notices ------------------------------------------------------------------------------

def notice_binary() -> bytes:
    return bytes(range(256)) * 32


def notice_10mb() -> bytes:
    para = ("We share your data with Mailchimp (The Rocket Science Group LLC, USA) to send newsletters, relying on "
            "standard contractual clauses. Our website is hosted by Hetzner Online GmbH in Germany. ")
    return (para * (10_000_000 // len(para) + 1)).encode("utf-8")[:10_000_000]


def notice_cp1252_german() -> bytes:
    return ("Datenschutzerklärung der Müller & Söhne GmbH\n\n"
            "Verantwortlicher ist die Müller & Söhne GmbH, Königstraße 1, 70173 Stuttgart.\n\n"
            "Wir übermitteln Ihre Daten an die Mailchimp (The Rocket Science Group LLC) in den USA auf Grundlage "
            "der Standardvertragsklauseln. Unsere Website wird von der Hetzner Online GmbH in Deutschland "
            "gehostet.\n").encode("cp1252")


def notice_deep_html() -> bytes:
    return (b"<html><body>" + b"<div>" * 100_000 + b"<p>Acme BV is the controller. We host our website with "
            b"Hetzner Online GmbH in Germany.</p>" + b"</div>" * 100_000 + b"</body></html>")


def notice_long_word() -> bytes:
    # one 300,000-character "word" with no @: the URL/e-mail patterns once took quadratic time on it
    return b"Privacy notice of Acme BV.\n\n" + b"x" * 300_000 + b"\n"
