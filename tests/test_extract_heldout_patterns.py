"""The failure patterns of issue 18, each on a short notice written for it (generic, not the held-out texts)."""
from __future__ import annotations

import pytest

from ropa.extract import extract


def _draft(text: str, name: str = "n.md"):
    return extract(text, name)


def _names(d) -> set[str]:
    return {r.name for r in d.recipients}


# --------------------------------------------------------------------------- 4. the controller

def test_a_country_in_a_location_column_is_not_the_controller():
    rows = "\n".join(f"| {v} | hosting | United States |" for v in ("Vercel", "Heroku", "Render", "Fly.io"))
    d = _draft("# Subprocessors\n\nWe use these providers.\n\n| Provider | Purpose | Region |\n| --- | --- | --- |\n" + rows)
    assert d.controller["name"] != "United"


def test_a_common_noun_is_not_the_controller():
    d = _draft("# Processing\n\nProcessing of your data.\n\nProcessing happens on our servers. We use Mailgun for "
               "processing e-mail.\n\nProcessing ends when you leave.")
    assert d.controller["name"] is None
    assert "Mailgun" in _names(d)


def test_the_controller_on_the_line_after_its_label():
    d = _draft("## Datenschutz\n\nverantwortliche Stelle im Sinne des Datenschutzrechts\n\nVerein Beispielhaft Nord\n\n"
               "Musterweg 1\n\n12345 Musterstadt\n\nWir nutzen Mailchimp für den Newsletter.")
    assert d.controller["name"] == "Verein Beispielhaft Nord"


def test_the_company_opening_a_subprocessor_list_is_the_controller_not_a_recipient():
    d = _draft("# Sub Processors\n\nTo support our Services, Acme Labs Inc. may engage and use data processors with "
               "access to Customer Data.\n\n| Entity Name | Activity | Location |\n| --- | --- | --- |\n"
               "| Stripe, Inc. | Payments | United States |\n")
    assert d.controller["name"].startswith("Acme Labs")
    assert not any("Acme" in n for n in _names(d))


def test_a_vendor_defined_as_a_term_is_not_the_controller():
    d = _draft("Deze website maakt gebruik van Google Analytics, een webanalyse-service die wordt aangeboden door "
               "Google Inc. (“Google”). De informatie wordt door Google opgeslagen op servers in de Verenigde Staten.")
    assert d.controller["name"] is None or "Google" not in d.controller["name"]
    assert any("Google" in n for n in _names(d))
