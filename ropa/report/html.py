"""The report as one self-contained HTML file (also the source of the PDF).

Jinja2 with autoescaping: every value from the RoPA is escaped; the only markup
passed through is the SVG our own code draws (with escaped labels). A
Content-Security-Policy forbids scripts and any outside resource, so even a
mistake could not load or run anything.
"""
from __future__ import annotations

from collections import Counter
from functools import lru_cache
from itertools import groupby
from pathlib import Path

from markupsafe import Markup

from ..worldmap import world_svg
from .chart import COLOURS, bar_chart
from .content import VERDICTS, Report

TEMPLATES = Path(__file__).resolve().parent / "templates"
from ..transfers import VERDICT_HELP  # noqa: E402  the words are the register's


@lru_cache(maxsize=1)
def _env():
    import jinja2
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=False, lstrip_blocks=False)


def _map(report: Report) -> str:
    """The world map of destinations, coloured by worst verdict (empty when unavailable)."""
    fill, labels = {}, {}
    for code, d in report.destinations().items():
        if len(code) == 2 and code.isalpha():
            fill[code] = COLOURS[d["worst"]]
            parts = ", ".join(f"{n} {VERDICTS[v].lower()}" for v, n in d["verdicts"].items())
            labels[code] = f"{d['name']}: {d['transfers']} transfer{'s' if d['transfers'] != 1 else ''} ({parts})"
    return world_svg(fill, labels, width=960, title="Destinations of restricted transfers")


def render_html(report: Report) -> bytes:
    """The report as UTF-8 HTML bytes.

    >>> import datetime as dt
    >>> from ropa.backends.embedded import EmbeddedBackend
    >>> from ropa.samples import example_graph
    >>> from ropa.report.content import build_report
    >>> with EmbeddedBackend() as store:
    ...     store.replace(example_graph())
    ...     html = render_html(build_report(store, dt.date(2026, 11, 22), source="example"))
    >>> b"SMS Relay Inc" in html and b"<script" not in html
    True
    """
    by_verdict = report.transfers_by_verdict()
    by_severity = report.findings_by_severity()
    verdict_chart = bar_chart("Restricted transfers by verdict",
                              [(VERDICTS[v], n, COLOURS[v]) for v, n in by_verdict.items()])
    severity_chart = bar_chart("Findings by severity",
                               [(s.capitalize(), n, COLOURS[s]) for s, n in by_severity.items()])
    rule_counts = Counter(f.rule for f in report.findings)
    rule_severity = {r.id: _rule_severity(r) for r in report.rules}
    register = report.register_excerpt()
    unlocated = report.unlocated_excerpt()
    annex = report.records_excerpt()
    per_controller = Counter(a.controller for a in report.records)
    records_by_controller = [(c, [a for _, a in rs], per_controller[c])
                             for c, rs in groupby(annex.rows, key=lambda na: na[1].controller)]
    html = _env().get_template("report.html.j2").render(
        r=report, by_verdict=by_verdict, by_severity=by_severity, verdicts=VERDICTS, colours=COLOURS,
        verdict_help=VERDICT_HELP, verdict_chart=Markup(verdict_chart), severity_chart=Markup(severity_chart),
        map_svg=Markup(_map(report)), destinations=report.destinations(), rule_counts=rule_counts,
        rule_severity=rule_severity, records_by_controller=records_by_controller, register=register,
        unlocated=unlocated, annex=annex, rule_sections=report.findings_by_rule_excerpt(),
        cite=report.provenance.cite)
    return html.encode("utf-8")


def _rule_severity(rule) -> str:
    """A rule's severity as its header states it (``high / medium`` for rules that grade)."""
    first = rule.query.split("// severity:", 1)
    if len(first) == 2:
        return first[1].split("\n", 1)[0].strip()
    return rule.severity
