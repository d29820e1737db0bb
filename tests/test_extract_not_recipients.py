"""Words that look like recipients and are none: kinds of data, cookies, purposes, safeguards, the controller
under another spelling, a site's own social profiles (issue 18, the precision patterns of round 5).

Each notice here is written for the pattern (generic, not a held-out text); the vocabulary lives in
data/extract/ (cues.csv kind ``not_recipient_name``, table_columns.csv role ``not_name``)."""
from __future__ import annotations

import pytest

from ropa.extract import extract


def _names(text: str, name: str = "n.md") -> set[str]:
    return {r.name for r in extract(text, name).recipients}


SUBPROCESSORS = ("\n\n## Sub-processors\n\n| Sub-processor | Role | Location |\n|---|---|---|\n"
                 "| Hostwerk GmbH | Hosting | Germany |\n| Postbridge Inc. | E-mail delivery | USA |\n")


@pytest.mark.parametrize("table", [
    "| Category | Examples |\n|---|---|\n| Identity data | Full name |\n| Contact data | Email address |\n"
    "| Account credentials | Password (hashed) |\n| Metadata | Timestamps |\n",
    "| Data Category | Retention Period |\n|---|---|\n| Guest messages and conversation data | 90 days |\n"
    "| Billing and transaction records | 5 years |\n",
    "| **Type gegevens** | **Bewaartermijn** | **Reden** |\n|---|---|---|\n| Accountgegevens (naam, e-mail) | 1 maand |"
    " Uitvoering |\n| Betalings- en factuurgegevens | 7 jaar | Wettelijke verplichting |\n"
    "| Communicatie met klantenservice | 2 jaar | Kwaliteit |\n",
    "<table><thead><tr><th>Datenkategorie</th><th>Speicherdauer</th></tr></thead><tbody>"
    "<tr><td>Account-Daten</td><td>Bis zur Löschung</td></tr><tr><td>Nutzungsstatistiken</td><td>12 Monate</td></tr>"
    "<tr><td>KI-Anfragen</td><td>Keine Speicherung</td></tr></tbody></table>\n",
    "<table><thead><tr><th>Doeleinde</th><th>Rechtsgrond</th></tr></thead><tbody>"
    "<tr><td>Om te kunnen deelnemen aan activiteiten</td><td>Uitvoering overeenkomst</td></tr>"
    "<tr><td>Voor archiefdoeleinden</td><td>Gerechtvaardigd belang</td></tr></tbody></table>\n",
], ids=["en-category", "en-data-category", "nl-type-gegevens", "de-datenkategorie-html", "nl-doeleinde-html"])
def test_a_table_of_data_kinds_or_purposes_names_no_recipient(table):
    names = _names("# Privacy\n\nWhat we keep and why:\n\n" + table + SUBPROCESSORS)
    assert names == {"Hostwerk GmbH", "Postbridge Inc."}


def test_a_cookie_table_names_its_provider_not_its_cookies():
    names = _names("# Privacybeleid\n\n## Cookies\n\nWij gebruiken de volgende cookies.\n\n"
                   "| **Cookie naam** | **Doel** | **Bewaartermijn** |\n|---|---|---|\n"
                   "| session_id | Ingelogd blijven | Tot einde sessie |\n| csrf_token | Beveiliging | Tot einde sessie |\n\n"
                   "| **Cookie naam** | **Aanbieder** | **Doel** | **Bewaartermijn** |\n|---|---|---|---|\n"
                   "| _ga | Google Analytics | Onderscheidt gebruikers | 2 jaar |\n"
                   "| _gid | Google Analytics | Onderscheidt gebruikers | 24 uur |\n")
    assert names == {"Google Analytics"}


@pytest.mark.parametrize("sentence", [
    "We use Session Cookies to operate our Service.",
    "We use Preference Cookies to remember your preferences and various settings.",
    "Wir verwenden Session-Cookies, um die Anmeldung zu halten.",
])
def test_a_kind_of_cookie_is_no_recipient(sentence):
    assert _names(f"# Privacy\n\n## Cookies\n\n- {sentence}\n\nWe use Mailchimp for our newsletter.") == {"Mailchimp"}


def test_a_safeguard_named_as_what_we_rely_on_is_no_recipient():
    names = _names("# Privacy\n\n## International transfers\n\nWhere we transfer personal data to countries not "
                   "recognised as adequate, we rely on **Standard Contractual Clauses (SCCs)** as approved by the "
                   "European Commission.\n\nWe use Mailchimp for our newsletter.")
    assert names == {"Mailchimp"}


def test_safeguards_listed_under_a_transfer_heading_are_no_recipients():
    names = _names("# Datenschutz\n\n## Hosting\n\nWir nutzen Hetzner Online GmbH für das Hosting.\n\n"
                   "## Übermittlung in Drittländer\n\nEinige unserer Dienstleister haben ihren Sitz in den USA "
                   "(Drittland). Die Übermittlung personenbezogener Daten erfolgt auf Grundlage von:\n\n"
                   "- EU-Standardvertragsklauseln (SCC) gemäß Art. 46 Abs. 2 lit. c DSGVO\n"
                   "- Ergänzenden technischen und organisatorischen Maßnahmen (z.B. Verschlüsselung)\n")
    assert names == {"Hetzner Online GmbH"}


@pytest.mark.parametrize("items", [
    "## Other Disclosures\n\nWe may disclose personal data:\n\n- To comply with a legal obligation\n"
    "- In connection with a merger, acquisition, or sale of assets (with appropriate notice)\n",
    "## Persoonsgegevens van derden\n\nJe kunt informatie over anderen delen.\n\n"
    "- Jij bent verantwoordelijk voor het waarborgen dat je toestemming hebt om gegevens te delen.\n"
    "- Gespreksgegevens die informatie van derden bevatten, worden alleen verwerkt om de dienst te leveren.\n",
], ids=["en-case", "nl-sentences"])
def test_list_items_that_are_cases_or_sentences_are_no_kinds_of_recipient(items):
    assert _names("# Privacy\n\nWe use Mailchimp for our newsletter.\n\n" + items) == {"Mailchimp"}


# --------------------------------------------------------------------------- the notice's own names

@pytest.mark.parametrize("text", [
    '---\ntitle: "Privacyverklaring"\ndescription: "Privacyverklaring van Boerderijwinkel.be. Lees hoe wij omgaan met '
    'je gegevens."\n---\n\n# Privacyverklaring\n\nBoerderijwinkel.be, geëxploiteerd door Veldwerk BV, hecht veel waarde '
    'aan je privacy.\n\n## Analyse\n\nWe gebruiken **Google Analytics** om bezoeken te tellen.\n',
    '+++\ntitle = "Privacybeleid"\ndescription = "Privacybeleid van Tinker Forge."\n+++\n\n## Verwerkingsverantwoordelijke'
    '\n\nTinker Forge wordt beheerd door Anna Smit, gevestigd in Ierland.\n\n## Analyse\n\nDeze site maakt gebruik van '
    '**Google Analytics** om bezoeken te tellen.\n',
    '<html><body><h1>Privacyverklaring</h1><p>Deze scan en de bijhorende diensten (Bloeikracht) worden aangeboden door '
    'Zonnewerf (Piet Peters), Dorpsstraat 1, 3583 Beringen, België.</p><h2>Analyse</h2><p>Bloeikracht werkt zonder '
    'database. Wij gebruiken Google Analytics om bezoeken te tellen.</p></body></html>',
    "# Privacy Policy\n\nThe Lantern Club website is run by Lantern Club, an association in Ghent.\n\n## Processing\n\n"
    "Lantern Club processes personal data of members and their parents for the following purposes.\n\n"
    "We use Google Analytics to count visits.\n",
    "# Privacyverklaring\n\n## Verwerking van persoonsgegevens\n\n### Jeugdhuis De Vonk\n\nJeugdhuis De Vonk verwerkt "
    "persoonsgegevens van leden en hun ouders voor de volgende doeleinden.\n\nWij gebruiken Google Analytics om "
    "bezoeken te tellen.\n",
], ids=["nl-domain-title", "nl-site-beheerd-door", "nl-aangeboden-door-html", "en-processes", "nl-verwerkt"])
def test_the_site_or_controller_under_its_own_names_is_no_recipient(text):
    assert _names(text, "n.html" if text.startswith("<html") else "n.md") == {"Google Analytics"}


@pytest.mark.parametrize("spelling", ["BlueHeron", "Blueheron.nl"])
def test_the_controller_written_joined_or_as_its_domain_is_no_recipient(spelling):
    d = extract(f"# Privacy\n\nWe are Blue Heron. We use Mailchimp for our newsletter.\n\n"
                f"## Contact forms\n\nThe forms of this site are handled by {spelling}.",
                "n.md")
    assert d.controller["name"] == "Blue Heron"
    assert {r.name for r in d.recipients} == {"Mailchimp"}


@pytest.mark.parametrize("text", [
    "# Privacybeleid\n\n## Links\n\nDeze site bevat links naar externe websites (GitHub, LinkedIn, Instagram, YouTube). "
    "Wij zijn niet verantwoordelijk voor hun privacypraktijken.\n\n## Analyse\n\nWij gebruiken Google Analytics.",
    "# Privacy\n\n## Links\n\nThis site contains links to external websites (GitHub, LinkedIn, Instagram, YouTube).\n\n"
    "## Analytics\n\nWe use Google Analytics to count visits.",
    "# Privacy\n\n## Social media\n\nFollow us on [LinkedIn](https://linkedin.com/company/x) and "
    "[Instagram](https://instagram.com/x).\n\n## Analytics\n\nWe use Google Analytics to count visits.",
    "# Datenschutz\n\n## Links\n\nDiese Website enthält Links zu externen Websites wie GitHub und LinkedIn.\n\n"
    "## Analyse\n\nWir nutzen Google Analytics.",
], ids=["nl", "en", "en-follow", "de"])
def test_a_sites_links_and_social_profiles_are_no_recipients(text):
    assert _names(text) == {"Google Analytics"}


def test_a_js_metadata_description_and_a_values_your_privacy_line_name_the_notice_itself():
    text = ('import { type Metadata } from "next";\nexport const metadata: Metadata = {\n  title: "Privacyverklaring",\n'
            '  description: "Lees hier de Privacyverklaring van Jeugdclub Sint-Pieter Vorst",\n};\n\n# Privacyverklaring\n\n'
            "Jeugdclub Sint-Pieter Vorst hecht belang aan de bescherming van uw persoonsgegevens.\n\n## Analyse\n\n"
            "Wij gebruiken Google Analytics.\n")
    d = extract(text, "n.txt")
    assert {r.name for r in d.recipients} == {"Google Analytics"}
    assert d.controller["name"] == "Jeugdclub Sint-Pieter Vorst"


# --------------------------------------------------------------------------- words, devices, parents, providers

@pytest.mark.parametrize("text", [
    "# Privacy\n\nWe use Google Analytics. We strongly advise you to review the Privacy Policy of every site you visit.",
    "# Privacy\n\nWij gebruiken Google Analytics. Wij kunnen deze privacyverklaring van tijd tot tijd aanpassen.",
    "# Datenschutz\n\nWir nutzen Google Analytics. Wir verarbeiten Meta-/Kommunikationsdaten (z.B., IP-Adressen).",
    "# Datenschutz\n\nWir setzen Inhalte von Drittanbietern ein, wie z.B. Videos oder Schriftarten.\n\nWir nutzen Google Analytics.",
    "# Datenschutz\n\n## Cookies\n\nSie können Cookies in Ihrem Browser löschen:\n\n- Microsoft Edge: "
    "https://support.microsoft.com/edge\n- Google Chrome: https://support.google.com/chrome\n\n"
    "## Analyse\n\nWir nutzen Google Analytics.",
    "# Datenschutz\n\nWir nutzen Google Analytics. Bei Apple-Geräten mit neuesten iOS-Versionen wird ein Token verwendet.",
], ids=["every", "van-tijd-tot-tijd", "meta-slash", "z.B.", "browsers", "devices"])
def test_determiners_idioms_abbreviations_browsers_and_devices_are_no_recipients(text):
    assert _names(text) == {"Google Analytics"}


def test_a_recipients_parent_company_in_german_is_no_recipient():
    names = _names("# Datenschutz\n\n## GitHub\n\nWir hosten den Code bei GitHub. Dienstanbieter ist GitHub Inc., ein "
                   "Unternehmen der Microsoft Corporation, 88 Colin P Kelly Jr St, San Francisco, CA 94107, USA.")
    assert names == {"GitHub"}


@pytest.mark.parametrize("text", [
    "# Datenschutz\n\n## Newsletter\n\nDer Versand erfolgt mittels „Mailchimp“, einer Versandplattform des US-Anbieters "
    "Rocket Lab Group, LLC, 675 Ponce de Leon Ave NE, Atlanta, GA 30308, USA.",
    "# Datenschutz\n\n## Captcha\n\nWir nutzen den SendMaxx-Sicherheitsdienst (nachfolgend \"SendMaxx\") auf unserer "
    "Website. Dieser Service wird von Rocket Lab Group, LLC, einer Delaware US Corporation bereitgestellt. "
    "SendMaxx wird verwendet, um Formulare zu schützen.",
], ids=["des-anbieters", "wird-von-bereitgestellt"])
def test_the_entity_that_runs_a_named_service_is_that_service_not_a_second_recipient(text):
    d = extract(text, "n.md")
    assert [r.name for r in d.recipients] == ["Mailchimp" if "Mailchimp" in text else "SendMaxx"]
    assert d.recipients[0].entity == "Rocket Lab Group, LLC"


def test_a_table_with_an_empty_header_row_reads_its_first_row_as_the_header():
    d = extract("# Subprocessors\n\n|  |  |  |  |\n|---|---|---|---|\n| Sub-Processor | Location | Purpose | Link |\n"
                "| Google LLC | USA | Authentication, email, workspace (G Suite) | [google.com](https://google.com/) |\n"
                "| Hirewell Company | USA | Hiring | [hirewell.example](https://hirewell.example/) |\n"
                "| MailDock | UK | Email | [maildock.example](https://maildock.example/) |\n", "n.md")
    assert {r.name for r in d.recipients} == {"Google LLC", "Hirewell Company", "MailDock"}
    assert {r.country for r in d.recipients} == {"US", "GB"}


def test_a_legal_basis_as_a_list_label_is_no_kind_of_recipient():
    names = _names("# Privacyverklaring\n\n## Delen met derden\n\nWij delen gegevens met:\n\n"
                   "- **Mollie:** voor betalingen\n- **Wettelijke verplichting:** We kunnen gegevens delen indien "
                   "wettelijk verplicht (bijvoorbeeld met de belastingdienst).\n")
    assert names == {"Mollie"}


# --------------------------------------------------------------------------- recall: products with a section of their own

def test_products_of_one_vendor_each_in_a_section_of_their_own_are_separate_recipients():
    sections = "".join(f"## {p}\n\nWir verwenden den Dienst {p}. Dieser Dienst wird angeboten von der Cloudflare Germany "
                       f"GmbH, Rosental 7, 80331 München.\n\n" for p in ("Cloudflare DNS", "Cloudflare Turnstile"))
    sections += ("## Backup\n\nFolgenden Cloud-Backup-Service verwenden wir: Cloudflare R2.\n\n"
                 "## Google Search Console\n\nWir binden den Dienst Google Search Console ein.\n\n"
                 "## Google Unternehmensprofil\n\nWir verfügen über ein sogenanntes Google Unternehmensprofil.\n")
    names = _names("# Datenschutzerklärung\n\n" + sections)
    assert {"Cloudflare DNS", "Cloudflare Turnstile", "Cloudflare R2", "Google Search Console",
            "Google Unternehmensprofil"} <= names


def test_products_under_one_heading_that_names_them_together_are_one_recipient():
    text = ("# Datenschutz\n\n## Sicherheit\n\n#### 2.5 Sicherheitstechnologien (Cloudflare DNS-Proxy, Turnstile)\n\n"
            "##### DNS-Proxy:\nWir leiten DNS-Abfragen über den Cloudflare DNS-Proxy.\n\n##### Turnstile (Bot-Schutz):\n"
            "Zur Abwehr von Bots setzen wir das Cloudflare Turnstile-Widget ein.\n\n##### Auftragsverarbeitung:\n"
            "Cloudflare verarbeitet die genannten Daten als unser Auftragsverarbeiter.\n")
    assert len(extract(text, "n.md").recipients) == 1


def test_payment_processors_introduced_by_we_work_with_are_recipients():
    names = _names("# Privacy\n\n## Payments\n\nThe payment processors we work with are:\n\n"
                   "*   **Stripe:** Their Privacy Policy can be viewed at [stripe.com](https://stripe.com/privacy)\n"
                   "*   **Paystream:** Their Privacy Policy can be viewed at [https://paystream.io/privacy]"
                   "(https://paystream.io/privacy)\n")
    assert names == {"Stripe", "Paystream"}


def test_a_company_line_followed_by_its_purpose_and_transfer_items_is_a_recipient():
    names = _names("# Datenschutz\n\n### Authentifizierung und Datenbank\n\nDatabrick Inc. (USA)\n\n"
                   "970 Main Street, San Francisco, CA 94107\n\n- Zweck: Nutzerauthentifizierung\n"
                   "- Datenstandort: Frankfurt, Deutschland (EU)\n- Übermittlungsgrundlage: EU-Standardvertragsklauseln (SCC)\n")
    assert names == {"Databrick Inc."}


def test_a_source_comment_naming_the_next_vendor_is_no_mention_of_it():
    d = extract("# Datenschutz\n\n### Datenbank\n\nDatabrick Inc. (USA)\n\n- Zweck: Speicherung\n"
                "- Übermittlungsgrundlage: EU-Standardvertragsklauseln (SCC)\n\n{/* Microsoft Azure */}\n\n"
                "### KI\n\nMicrosoft Ireland Operations Limited\n\n- Zweck: KI-Anfragen\n"
                "- Übermittlungsgrundlage: Auftragsverarbeitungsvertrag (DPA), Verarbeitung innerhalb der EU\n", "n.md")
    mechs = {r.name: r.mechanism for r in d.recipients}
    assert mechs["Databrick Inc."] == "scc"
    assert all(v == "none" for k, v in mechs.items() if k != "Databrick Inc.")


def test_a_vendor_described_as_operated_by_its_company_stays_a_recipient():
    d = extract("# Privacy\n\nWe are Blue Heron. We use Mailchimp for our newsletter.\n\n## Forms\n\nFormzilla is operated "
                "by Formzilla Labs Inc. We use Formzilla for our contact form.\n", "n.md")
    assert d.controller["name"] == "Blue Heron"
    assert any(r.name.startswith("Formzilla") for r in d.recipients)




@pytest.mark.parametrize("text,new", [
    ("# Privacyverklaring\n\n## Verwerkers\n\nWij werken met de volgende verwerkers:\n\n"
     "- Het verspreiden van nieuwsbrieven: Postvlucht, Facebook en Hotmail.\n- De hosting van onze website: Vercel.\n",
     "Postvlucht"),
    ("# Privacy\n\n## Processors\n\nWe work with these processors:\n\n"
     "- Sending newsletters: Postflight, Facebook and Mailchimp.\n- Hosting: Vercel.\n", "Postflight"),
], ids=["nl", "en"])
def test_a_name_listed_beside_known_vendors_after_a_label_is_a_recipient(text, new):
    assert new in _names(text)


def test_a_label_and_a_capitalised_word_beside_no_known_vendor_is_no_recipient():
    names = _names("# Privacyverklaring\n\n## Bewaren\n\nWij bewaren gegevens:\n\n- Bewaartermijn: Zeven jaar.\n"
                   "- Hosting: Vercel.\n")
    assert "Zeven" not in names


def test_an_address_after_a_known_vendors_label_names_no_one_else():
    names = _names("# Privacy\n\n## Marketing\n\nWe use ActiveCampaign for our marketing. Contact: ActiveCampaign, "
                   "Block D, Iveagh Court Harcourt Road, Dublin 2, Ireland. Phone: +1 (800) 357-0402.\n")
    assert not {"Block D", "Iveagh Court Harcourt Road"} & names
