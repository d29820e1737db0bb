"""The report as Markdown, for pasting into a ticket or a wiki page.

Every value is escaped: Markdown punctuation gets a backslash, ``< > &`` become
entities (so no HTML gets through a renderer), and line breaks inside a cell
become spaces so that tables hold together.
"""
from __future__ import annotations

import re

import pandas as pd

from .frames import changes_frame, controllers_frame, rules_frame, with_headers
from .content import VERDICTS, Report

MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def md(value) -> str:
    """One value, safe inside Markdown text and table cells.

    >>> print(md('<script>alert(1)</script> | [x](y)'))
    &lt;script&gt;alert(1)&lt;/script&gt; \\| \\[x\\](y)
    """
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    s = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = MD_SPECIAL.sub(r"\\\1", s)
    return re.sub(r"\s*[\r\n]+\s*", " ", s).strip()


def table(df: pd.DataFrame) -> str:
    """A Markdown table of a frame (every cell escaped)."""
    if not len(df):
        return "_None._\n"
    df = with_headers(df)
    head = "| " + " | ".join(md(c) for c in df.columns) + " |"
    rule = "|" + "|".join("---" for _ in df.columns) + "|"
    body = ["| " + " | ".join(md(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([head, rule, *body]) + "\n"


def render_markdown(report: Report) -> bytes:
    """The whole report as Markdown bytes (UTF-8)."""
    r = report
    out = [f"# {md(r.title)}", "",
           f"Evaluated as of **{r.as_of}** · controllers: {md('; '.join(r.controllers))} · data: {md(r.source)} "
           f"(fingerprint {md(r.fingerprint)}) · rule pack {md(r.rule_pack_version)} · "
           f"generated {r.generated:%Y-%m-%d %H:%M}", ""]
    verdicts = r.transfers_by_verdict()
    sev = r.findings_by_severity()
    out += [f"**{len(r.transfers)} restricted transfers**: "
            + ", ".join(f"{n} {VERDICTS[v].lower()}" for v, n in verdicts.items())
            + f". **{len(r.findings)} findings**: " + ", ".join(f"{n} {s}" for s, n in sev.items()) + ".", ""]
    dests = r.destinations()
    if dests:
        out += ["Destinations: " + "; ".join(f"{md(d['name'])} ({md(c)}) {d['transfers']}" for c, d in dests.items()),
                ""]
    out += ["## Per controller", "", table(controllers_frame(r))]
    if r.diff is not None:
        out += [f"## Changes since snapshot {md(r.diff.name)} (as of {md(r.diff.as_of)})", "",
                table(changes_frame(r))]
    out += ["## Restricted-transfer register", ""]
    rows = []
    register = r.register_excerpt()
    for i, t in register.rows:
        rows.append([i, " → ".join(t.path if t.onward else [t.exporter, t.importer]), t.activity,
                     f"{t.destination_name} ({t.destination})" if t.resolved else t.destination_name, t.mechanism_text, t.verdict_label, t.severity,
                     " ".join(t.reasons), t.legal_source, t.remediation,
                     (f"“{t.evidence}” " if t.evidence else "") + t.source_ref])
    out.append(table(pd.DataFrame(rows, columns=["#", "transfer", "activity", "destination", "mechanism", "verdict",
                                                 "severity", "findings", "legal source", "remediation",
                                                 "evidence"])))
    if register.omitted:
        out += [f"_This register lists {register.shown:,} of the {register.total:,} restricted transfers: those "
                "without a valid basis first, then those needing action, spread evenly over the controllers. The "
                f"other {register.omitted:,} are in the XLSX report (sheet Transfers) and the CSV register, which "
                "list every transfer under the same number (#)._", ""]
    if r.unlocated:
        unlocated = r.unlocated_excerpt()
        out += ["### Recipients with no recorded location", "",
                table(pd.DataFrame([[u.controller, u.activity, f"{u.exporter} → {u.importer}", u.role, u.mechanism]
                                    for _, u in unlocated.rows],
                                   columns=["controller", "activity", "recipient", "role", "mechanism as written"]))]
        if unlocated.omitted:
            out += [f"_{unlocated.shown:,} of {unlocated.total:,} listed; the XLSX report (sheet Unlocated "
                    "recipients) lists all of them._", ""]
    out += ["## Findings by rule and controller", ""]
    for rule, groups, total in r.findings_by_rule_excerpt():
        out += [f"### {md(rule.title)} ({md(rule.id)})", "",
                f"*{md(rule.article)}*. Legal source: {md(rule.legal_source)}. Remediation: {md(rule.remediation)}", ""]
        shown = 0
        for controller, items, of in groups:
            shown += len(items)
            count = f" ({len(items):,} of {of:,})" if of != len(items) else ""
            out += [f"**{md(controller)}**{count}", "",
                    table(pd.DataFrame([[f.severity, f.subject, f.reason, f.legal_source if f.legal_source !=
                                         rule.legal_source else "", f.evidence] for f in items],
                                       columns=["severity", "subject", "finding", "legal source", "evidence"]))]
        if shown < total:
            out += [f"_{shown:,} of the {total:,} findings of this rule are listed here, the most severe first, "
                    f"spread evenly over the controllers. The other {total - shown:,} are in the XLSX report "
                    "(sheet Findings), which lists every finding._", ""]
    out += ["## Methodology and limits", "", f"Rule pack version {md(r.rule_pack_version)}.", "",
            table(rules_frame(r)[["rule", "title", "severity", "article", "findings"]]),
            "Reference data:", "",
            table(pd.DataFrame([[f.name, f.rows, ", ".join(f.reviewed)] for f in r.reference],
                               columns=["file", "rows", "reviewed"])),
            "What this report does not check:", ""]
    out += [f"- {md(x)}" for x in r.not_checked]
    out += ["", f"_{md(r.disclaimer)}_", "", "## Annex: Art. 30 records", ""]
    annex = r.records_excerpt()
    if annex.omitted:
        out += [f"_The annex shows {annex.shown:,} of the {annex.total:,} records, spread evenly over the "
                "controllers; the XLSX report (sheet Art 30 records) holds every one._", ""]
    out.append(table(pd.DataFrame([[a.controller, a.activity, a.purpose, a.legal_basis, "; ".join(a.data_subjects),
                                    "; ".join(a.data_categories), "; ".join(a.recipients), "; ".join(a.transfers),
                                    a.retention, a.security_measures] for _, a in annex.rows],
                                  columns=["controller", "activity", "purpose", "legal basis", "data subjects",
                                           "data categories", "recipients", "transfers", "retention",
                                           "security measures"])))
    return ("\n".join(out)).encode("utf-8")
