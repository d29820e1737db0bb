"""A general transfer clause (one for all transfers of a notice) speaks only for the recipients the text places
outside the EEA; a clause that lists possible bases, or bases under a condition, is relied on for none
(issue 18, the mechanism patterns of round 5). Notices written for the pattern, not held-out texts."""
from __future__ import annotations

import pytest

from ropa.extract import extract


def _mechs(text: str) -> dict[str, str]:
    return {r.name: r.mechanism for r in extract(text, "n.md").recipients}


@pytest.mark.parametrize("text,abroad,unplaced", [
    ("# Privacy\n\n## Processing\n\n- To receive messages from guests via Telegram or WhatsApp\n\n## Sub-processors\n\n"
     "| Sub-processor | Role | Location |\n|---|---|---|\n| Hostwerk Inc. | Hosting | USA |\n\n"
     "## International Data Transfers\n\nWhere we transfer personal data to countries not recognised by the European "
     "Commission as providing an adequate level of data protection, we rely on Standard Contractual Clauses (SCCs).\n",
     "Hostwerk Inc.", "WhatsApp"),
    ("# Datenschutz\n\n## YouTube\n\nWir binden Videos von YouTube ein.\n\n## Hosting\n\nWir hosten bei Hostwerk Inc., "
     "San Francisco, USA.\n\n## Drittländer\n\nStandardvertragsklauseln (SCC) sind von der EU-Kommission bereitgestellte "
     "Mustervorlagen und sollen sicherstellen, dass Ihre Daten auch dann geschützt sind, wenn diese in Drittländer "
     "übermittelt werden.\n",
     "Hostwerk Inc.", "YouTube"),
    ("# Privacybeleid\n\n## Analyse\n\nWij gebruiken Google Analytics.\n\n## Hosting\n\nOnze website draait bij "
     "Hostwerk Inc. in de Verenigde Staten.\n\n## Doorgifte buiten de EER\n\nBij doorgifte van gegevens buiten de EER "
     "gebruiken wij Standaard Contractbepalingen (SCC's).\n",
     "Hostwerk Inc.", "Google Analytics"),
], ids=["en", "de", "nl"])
def test_a_general_scc_clause_speaks_only_for_recipients_the_text_places_outside_the_eea(text, abroad, unplaced):
    mechs = _mechs(text)
    assert mechs[abroad] == "scc"
    assert mechs[unplaced] == "none"


def test_a_general_clause_gives_no_mechanism_to_a_kind_of_recipient():
    d = extract("# Privacybeleid\n\n## Delen met derden\n\nWij delen gegevens met:\n\n- **Belastingdienst**: voor de "
                "BTW-administratie\n- **Toezichthouders**: bij onderzoeken\n\n## Doorgifte buiten de EER\n\nBij doorgifte "
                "van gegevens buiten de EER gebruiken wij Standaard Contractbepalingen (SCC's).\n", "n.md")
    assert d.recipients and all(r.mechanism == "none" for r in d.recipients)


SWISS = ("# Datenschutzerklärung\n\n## Hosting\n\nUnser Hoster ist die Bergwerk AG, Zürich, Schweiz.\n\n## Karten\n\n"
         "Wir nutzen Google Maps. Anbieter ist die Google LLC, 1600 Amphitheatre Parkway, Mountain View, CA 94043, USA."
         "\n\n"
         "## Übermittlung in Drittländer\n\n{clause}\n")


@pytest.mark.parametrize("clause", [
    "D.h. die Verarbeitung erfolgt z.B. auf Grundlage besonderer Garantien, wie der offiziell anerkannten Feststellung "
    "eines der EU entsprechenden Datenschutzniveaus (z.B. für die USA durch das „Privacy Shield“) oder Beachtung "
    "offiziell anerkannter spezieller vertraglicher Verpflichtungen (so genannte „Standardvertragsklauseln“).",
    "Sofern wir Daten in einem Drittland verarbeiten, erfolgt dies nur, wenn es zur Erfüllung unserer vertraglichen "
    "Pflichten, auf Grundlage Ihrer Einwilligung oder aufgrund einer rechtlichen Verpflichtung geschieht.",
], ids=["privacy-shield-as-example", "only-if-consent-or"])
def test_possible_bases_of_a_general_clause_are_relied_on_for_no_recipient(clause):
    mechs = _mechs(SWISS.format(clause=clause))
    assert mechs == {"Bergwerk AG": "none", "Google Maps": "none"}
