"""Hypothesis strategies for random RoPAs, shared by the property tests.

``ropas()`` draws a register that the importer accepts: every organisation has one
seat and one set of places, every activity one purpose, basis and retention, every
sub-processor is engaged by a recipient of the same activity, no recipient twice
per activity. Organisations and activities carry a unique tag ``⟦n⟧`` in their
names so that a test can find each name in a finding's text and swap it for
another (the rest of the name is random text).
"""
from __future__ import annotations

from hypothesis import strategies as st

TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp"),
                                      exclude_characters="⟦⟧;"),
               min_size=1, max_size=12).map(lambda s: " ".join(s.split())).filter(bool)
# Values that spreadsheets, CSV and pandas like to turn into something else.
TRICKY = st.sampled_from(["NULL", "NA", "nan", "None", "true", "0012", "1e5", "-1", "'=x", "''quoted", "'plain",
                          "=SUM(1)", "+31 20", "@home", "a,b", 'quo"te', "€ 5", "  padded  ", "x\ty", "#N/A",
                          # control characters XML cannot hold, and text that looks like their escape
                          "Acme\x1b[0m", "x\x01y\x7f", "_x001B_", "a_x0041_x0042_b", "_x005F_"])
COUNTRIES = ["US", "CH", "GB", "IN", "CN", "JP", "BR", "FR", "DE", "NL", "IE", "Atlantis", "EEA", "Verenigde Staten", ""]
PLACES = ["", "US", "US;DE", "EEA", "IN;BR", "CH", "Atlantis"]
MECHANISMS = ["", "", "scc_2021", "scc_2010", "scc_2004", "scc", "dpf", "adequacy", "bcr", "code_of_conduct",
              "certification", "derogation_consent", "derogation_contract", "privacy_shield",
              "swiss_us_privacy_shield", "safe_harbor", "none", "Standard Contractual Clauses", "EU-US Privacy Shield"]
CATEGORIES = ["name", "email address", "health data", "criminal convictions", "biometric data", "bank account",
              "religious beliefs", "location"]


def tagged(i: int, text: str) -> str:
    return f"{text}⟦{i}⟧"


@st.composite
def ropas(draw, max_controllers: int = 2, max_vendors: int = 5, tricky: bool = False):
    """Register rows (dicts) of a random, valid RoPA."""
    words = TEXT | TRICKY if tricky else TEXT
    tag = iter(range(10_000))
    yn = st.sampled_from(["", "yes", "no"])
    vendors = []
    for _ in range(draw(st.integers(1, max_vendors))):
        vendors.append({"recipient": tagged(next(tag), draw(words)), "recipient_country": draw(st.sampled_from(COUNTRIES)),
                        "processing_countries": draw(st.sampled_from(PLACES)),
                        "dpf_certified": draw(yn), "recipient_sector": draw(st.sampled_from(["", "private", "public"])),
                        "dpf_checked": draw(st.sampled_from(["", "2024-03-01"]))})
    rows = []
    for _ in range(draw(st.integers(1, max_controllers))):
        controller = tagged(next(tag), draw(words))
        ccountry = draw(st.sampled_from(["NL", "DE", "FR", "US", ""]))
        for _ in range(draw(st.integers(1, 3))):
            act = {"controller": controller, "controller_country": ccountry,
                   "activity": tagged(next(tag), draw(words)),
                   "purpose": draw(st.sampled_from(["", "Payroll", "Marketing"]) | words),
                   "legal_basis": draw(st.sampled_from(["", "contract", "consent", "legal_obligation",
                                                        "legitimate_interests"])),
                   "special_condition": draw(st.sampled_from(["", "9(2)(h)"])),
                   "retention": draw(st.sampled_from(["", "7 years"])),
                   "security_measures": ";".join(draw(st.lists(st.sampled_from(["encryption", "MFA"]), max_size=2))),
                   "data_categories": ";".join(draw(st.lists(st.sampled_from(CATEGORIES), max_size=3, unique=True))),
                   "data_subjects": ";".join(draw(st.lists(st.sampled_from(["employees", "patients"]),
                                                           max_size=2, unique=True))),
                   "joint": draw(st.sampled_from(["", "", "yes"]))}
            picked = draw(st.lists(st.sampled_from(range(len(vendors))), unique=True, max_size=len(vendors)))
            if not picked:
                rows.append(act)
            for k, v in enumerate(picked):
                engager = ""
                if k and draw(st.integers(0, 2)) == 0:
                    engager = vendors[picked[draw(st.integers(0, k - 1))]]["recipient"]
                rows.append({**act, **vendors[v], "engaged_by": engager,
                             "recipient_role": draw(st.sampled_from(["", "processor", "subprocessor", "controller",
                                                                     "joint_controller"])) if not engager else
                             draw(st.sampled_from(["", "subprocessor"])),
                             "mechanism": draw(st.sampled_from(MECHANISMS)),
                             "mechanism_date": draw(st.sampled_from(["", "2019-05-01", "2021-10-01", "2023-01-15"])),
                             "tia": draw(yn), "dpa": draw(yn), "occasional": draw(yn),
                             "evidence": draw(st.sampled_from(["", "We use them.", "<b>x</b>", "=1+1"])),
                             "evidence_at": draw(st.sampled_from(["", "line 3, characters 10–40",
                                                                  "section “Recipients”, line 12", "=1+1"])),
                             "source_title": draw(st.sampled_from(["", "Privacy notice", "'=x"])),
                             "source_location": draw(st.sampled_from(["", "https://example.com/privacy",
                                                                      "notice.html"]))})
    return rows


EXTRA = ("recipient_sector", "occasional", "dpf_checked", "joint", "source_title", "source_location", "evidence_at")
