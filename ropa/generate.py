"""A synthetic but realistic RoPA in the canonical register format, for scale tests.

The data describe a group of controllers (subsidiaries of one group in several EEA
countries, e.g. an outsourcing / call-centre provider) that share vendors; each vendor
has a fixed tree of sub-processors up to five levels deep (``engaged_by``), repeated
for every activity that uses it, as the register format wants it. Destinations follow
a realistic spread (mostly the EEA, then the US, the UK, Switzerland, India and the
Philippines for call centres, Japan / Korea / Canada under adequacy, some blank or
unrecognised places) and so do mechanisms, including stale ones (Privacy Shield, Safe
Harbor, the 2010 SCCs, "none") with their dates. A minority of activities process
special-category (Art. 9) or criminal (Art. 10) data.

``relationships`` is the size of the *imported* graph: :func:`write_generated` keeps
adding activities until the relationships the importer will build from the rows
(CONTROLS, PROCESSES, CONCERNS, DISCLOSES_TO, ENGAGES, ESTABLISHED_IN, PROCESSES_IN,
EVIDENCED_BY; reference data not counted) reach it, so the imported count is that
number or a few above it.

Deterministic: everything comes from one ``random.Random(seed)``; the same
``(relationships, seed)`` gives byte-identical files. Rows are streamed to the
file, so memory stays small (the vendor pool and the per-pair contract details only).

>>> import io
>>> buf = io.StringIO()
>>> stats = generate(buf, relationships=500, seed=1)
>>> stats.relationships >= 500 and buf.getvalue().startswith("controller,")
True

Why one module over 600 lines: one generator whose steps (group, vendors, sub-processor trees,
destinations, mechanisms) share its random stream and its state; it reads as one recipe.
"""
from __future__ import annotations

import bisect
import csv
import datetime as dt
import io
import json
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TextIO

from .formats.register import COLUMNS

HEADER = COLUMNS + ["recipient_sector", "occasional"]
REGISTER_NAME = "register.csv"
MANIFEST_NAME = "manifest.json"
MAX_DEPTH = 5  # ENGAGES hops below the processor the controller discloses to

# -- vocabularies ---------------------------------------------------------------

GROUP_NAMES = ["Nordhaven", "Veltrix", "Aurelis", "Callidora", "Brightmoor", "Kestrel", "Solvane", "Trevalon"]
# (country code, legal form, city) of the group's EEA subsidiaries, in the order they are added.
SUBSIDIARIES = [
    ("NL", "B.V.", "Rotterdam"), ("DE", "GmbH", "Berlin"), ("FR", "SAS", "Lyon"), ("IE", "Limited", "Dublin"),
    ("ES", "S.L.", "Madrid"), ("PL", "Sp. z o.o.", "Krakow"), ("IT", "S.r.l.", "Milano"), ("PT", "Lda", "Lisboa"),
    ("SE", "AB", "Malmo"), ("BE", "SA/NV", "Brussels"), ("AT", "GmbH", "Wien"), ("CZ", "s.r.o.", "Brno"),
    ("RO", "S.R.L.", "Cluj"), ("DK", "ApS", "Aarhus"), ("FI", "Oy", "Tampere"), ("GR", "A.E.", "Athens"),
    ("HU", "Kft.", "Budapest"), ("BG", "EOOD", "Sofia"), ("LT", "UAB", "Vilnius"), ("SK", "s.r.o.", "Kosice"),
    ("HR", "d.o.o.", "Zagreb"), ("SI", "d.o.o.", "Ljubljana"), ("LU", "S.a r.l.", "Luxembourg"),
    ("NO", "AS", "Bergen"),
]
# Where vendors and sub-processors are established (weights, roughly what DPOs see).
COUNTRY_WEIGHTS = [
    ("DE", 12), ("NL", 8), ("IE", 8), ("FR", 7), ("ES", 4), ("IT", 4), ("PL", 4), ("SE", 3), ("BE", 2),
    ("AT", 2), ("PT", 2), ("CZ", 1), ("DK", 1), ("FI", 1), ("RO", 1), ("LU", 1),
    ("US", 16), ("GB", 6), ("CH", 3), ("IN", 5), ("PH", 4), ("JP", 1), ("KR", 1), ("CA", 1.5),
    ("IL", 0.5), ("BR", 1), ("ZA", 0.5), ("MX", 0.5), ("SG", 1), ("AU", 0.5), ("CN", 0.5),
    ("", 2), ("?", 1),
]
# Where the big platforms (the most popular vendors and sub-processors) are established.
BIG_COUNTRY_WEIGHTS = [("IE", 30), ("NL", 20), ("DE", 20), ("FR", 8), ("SE", 4), ("US", 15), ("GB", 3)]
EEA = {"DE", "NL", "IE", "FR", "ES", "IT", "PL", "SE", "BE", "AT", "PT", "CZ", "DK", "FI", "RO", "LU", "GR",
       "HU", "BG", "LT", "SK", "HR", "SI", "NO"}
ADEQUATE = {"GB", "CH", "JP", "KR", "CA", "IL"}
# How some countries are written in real registers (every spelling resolves).
COUNTRY_SPELLINGS = {
    "US": ["United States", "USA", "Verenigde Staten", "Vereinigte Staaten"],
    "GB": ["United Kingdom", "UK"], "DE": ["Germany", "Deutschland", "Duitsland"],
    "NL": ["Netherlands", "Nederland"], "FR": ["France", "Frankrijk"], "IN": ["India", "Indien"],
    "PH": ["Philippines"], "IE": ["Ireland", "Ierland"], "CH": ["Switzerland", "Schweiz"],
}
UNKNOWN_PLACES = ["Asia-Pacific region", "global data centres", "Atlantis", "offshore hub", "EU/US cloud"]
# A vendor in one of these sometimes processes also in the listed places.
PROCESSING_EXTRA = {"US": ["IE", "NL", "DE", "IN"], "IE": ["US", "NL"], "DE": ["IN", "US", "PL"],
                    "NL": ["US", "IN", "PH"], "FR": ["MA", "TN"], "GB": ["IN", "PH", "US"], "ES": ["MX", "CO"]}

SYLLABLES = ["no", "va", "tel", "ri", "qua", "lon", "dex", "mar", "sil", "ber", "tri", "ka", "zen", "lo", "vi",
             "ra", "ston", "fen", "cor", "al", "ex", "in", "ta", "pho", "ly", "gra", "mo", "sen", "dor", "xa"]
VENDOR_WORDS = ["Cloud", "Contact", "Voice", "Analytics", "Payroll", "Hosting", "Data", "Systems", "Telecom",
                "Software", "Mail", "Print", "Archive", "Security", "Health", "Recruit", "Pay", "CRM",
                "Learning", "Translate", "Survey", "Logistics", "Identity", "Backup", "Speech"]
SUB_WORDS = ["Infrastructure", "Networks", "Compute", "Storage", "SMS", "Messaging", "Support", "Labs",
             "Datacenter", "CDN", "Monitoring", "Transcription", "Signing", "Fraud", "Ops"]
LEGAL_FORMS = {
    "US": ["Inc.", "LLC", "Corp."], "GB": ["Ltd", "plc"], "IE": ["Limited", "DAC"], "DE": ["GmbH", "AG"],
    "NL": ["B.V."], "FR": ["SAS", "SA"], "ES": ["S.L.", "S.A."], "IT": ["S.r.l.", "S.p.A."], "PL": ["Sp. z o.o."],
    "SE": ["AB"], "BE": ["SA/NV", "BV"], "AT": ["GmbH"], "PT": ["Lda"], "CZ": ["s.r.o."], "DK": ["ApS", "A/S"],
    "FI": ["Oy"], "RO": ["S.R.L."], "LU": ["S.a r.l.", "S.A."], "CH": ["AG", "SA", "GmbH"],
    "IN": ["Pvt Ltd", "Private Limited"], "PH": ["Inc.", "Corporation"], "JP": ["K.K.", "G.K."],
    "KR": ["Co., Ltd."], "CA": ["Inc.", "Ltd."], "IL": ["Ltd."], "BR": ["Ltda."], "ZA": ["(Pty) Ltd"],
    "MX": ["S.A. de C.V."], "SG": ["Pte. Ltd."], "AU": ["Pty Ltd"], "CN": ["Co., Ltd."],
}
CLIENT_SECTORS = ["Telecom", "Energy", "Bank", "Insurance", "Airlines", "Retail", "Mobility", "Health",
                  "Utilities", "Media", "Travel", "Lottery", "Water", "Fashion", "Logistics"]

PLAIN_CATEGORIES = ["name", "email address", "phone number", "postal address", "date of birth", "customer ID",
                    "call recordings", "chat transcripts", "payment data", "bank account", "IP address",
                    "device identifiers", "order history", "contract details", "complaint details",
                    "login credentials", "location data", "employee ID", "salary", "CV", "work schedule",
                    "performance scores", "voice samples", "survey answers", "marketing preferences"]
# (category, condition written in special_condition)
SPECIAL = [("health data", "9(2)(h)"), ("health data", "9(2)(b)"), ("trade union membership", "9(2)(b)"),
           ("biometric data", "9(2)(a)"), ("religious beliefs", "9(2)(b)"), ("ethnic origin", "9(2)(g)"),
           ("criminal convictions", "Art. 10; national law")]
# (activity, purpose, legal basis, subjects, typical categories, per-client?)
ACTIVITIES = [
    ("Inbound customer service", "Handle inbound calls, chats and e-mails on behalf of the client", "contract",
     ["callers", "customers"], ["name", "phone number", "call recordings", "customer ID", "complaint details"], True),
    ("Outbound telesales", "Call prospects for the client's offers", "legitimate interests",
     ["prospects"], ["name", "phone number", "postal address", "marketing preferences"], True),
    ("Debt collection calls", "Remind customers of overdue invoices for the client", "contract",
     ["customers"], ["name", "phone number", "payment data", "bank account"], True),
    ("Technical helpdesk", "Second-line support for the client's products", "contract",
     ["customers"], ["name", "email address", "device identifiers", "chat transcripts"], True),
    ("Quality monitoring", "Record and score calls for quality and coaching", "legitimate interests",
     ["employees", "callers"], ["call recordings", "employee ID", "performance scores"], True),
    ("Customer satisfaction surveys", "Survey callers after contact", "legitimate interests",
     ["customers"], ["email address", "survey answers"], True),
    ("Claims intake", "Register insurance claims by phone", "contract",
     ["policyholders"], ["name", "contract details", "complaint details"], True),
    ("Payroll", "Pay employees and file wage taxes", "legal obligation",
     ["employees"], ["name", "bank account", "salary", "employee ID"], False),
    ("Recruitment", "Select agents and team leaders", "legitimate interests",
     ["job applicants"], ["name", "CV", "email address", "phone number"], False),
    ("Workforce management", "Plan shifts and track schedule adherence", "contract",
     ["employees"], ["employee ID", "work schedule", "performance scores"], False),
    ("IT service desk", "Support staff with their devices and accounts", "legitimate interests",
     ["employees", "contractors"], ["name", "login credentials", "device identifiers"], False),
    ("Website analytics", "Measure use of the group website", "consent",
     ["website visitors"], ["IP address", "device identifiers", "location data"], False),
    ("Newsletter", "Send the client newsletter", "consent",
     ["subscribers"], ["name", "email address", "marketing preferences"], False),
    ("Access control", "Badge access to the contact centres", "legitimate interests",
     ["employees", "visitors"], ["name", "employee ID", "location data"], False),
]
# Activities that by nature involve special-category data: (name, purpose, subjects, special index)
SPECIAL_ACTIVITIES = [
    ("Patient helpline", "Answer patients' calls for the client hospital", ["patients", "callers"], 0, True),
    ("Sick leave administration", "Record absences and reintegration", ["employees"], 1, False),
    ("Works council elections", "Organise the works council elections", ["employees"], 2, False),
    ("Biometric time recording", "Clock in and out by fingerprint", ["employees"], 3, False),
    ("Canteen dietary requests", "Serve meals that respect dietary rules", ["employees"], 4, False),
    ("Diversity monitoring", "Measure workforce diversity", ["employees"], 5, False),
    ("Background screening", "Screen agents handling payment data", ["job applicants", "employees"], 6, False),
]
RETENTION = ["6 months after the call", "2 years after the end of the contract", "7 years (tax law)",
             "until unsubscribed", "30 days", "1 year", "3 months", "5 years after employment"]
SECURITY = ["encryption at rest", "encryption in transit", "role-based access", "MFA", "pseudonymisation",
            "call recording pause on payment", "clean desk", "ISO 27001 certified", "logging"]
# How mechanisms are written (canonical id first, then the words people use).
MECH_WORDS = {
    "scc_2021": ["Standard Contractual Clauses (2021)", "2021 SCCs", "SCC 2021", "2021/914"],
    "scc_2010": ["2010/87/EU", "2010/87"],
    "scc": ["Standard Contractual Clauses", "SCCs", "model clauses", "Standardvertragsklauseln"],
    "privacy_shield": ["EU-US Privacy Shield", "Privacy Shield"],
    "safe_harbor": ["Safe Harbor", "US Safe Harbor"],
    "dpf": ["EU-US Data Privacy Framework", "DPF"],
    "bcr": ["Binding Corporate Rules", "BCR"],
}
# (mechanism, weight) by kind of destination.
MECHS_US_CERTIFIED = [("dpf", 60), ("scc_2021", 20), ("privacy_shield", 10), ("", 10)]
MECHS_US = [("scc_2021", 35), ("scc_2010", 12), ("privacy_shield", 8), ("safe_harbor", 3), ("adequacy", 4),
            ("dpf", 4), ("bcr", 4), ("none", 6), ("", 14), ("derogation_consent", 3), ("derogation_contract", 3),
            ("scc", 4)]
MECHS_ADEQUATE = [("adequacy", 55), ("", 30), ("scc_2021", 10), ("scc_2010", 5)]
MECHS_THIRD = [("scc_2021", 40), ("scc_2010", 12), ("bcr", 10), ("", 15), ("none", 5), ("derogation_contract", 5),
               ("scc", 8), ("adequacy", 5)]
MECHS_UNKNOWN = [("", 70), ("scc_2021", 30)]
# (first, last) signing dates by mechanism.
MECH_DATES = {
    "privacy_shield": (dt.date(2016, 8, 1), dt.date(2020, 7, 15)),
    "safe_harbor": (dt.date(2006, 1, 1), dt.date(2015, 9, 30)),
    "scc_2010": (dt.date(2011, 1, 1), dt.date(2021, 9, 26)),
    "scc_2021": (dt.date(2021, 7, 1), dt.date(2026, 10, 31)),
    "dpf": (dt.date(2023, 7, 10), dt.date(2026, 10, 31)),
    "bcr": (dt.date(2014, 1, 1), dt.date(2025, 12, 31)),
    "scc": (dt.date(2015, 1, 1), dt.date(2024, 12, 31)),
}
ROLES_DIRECT = [("processor", 90), ("controller", 8), ("joint_controller", 2)]
# Number of sub-processors an organisation at depth d engages (weights for 0, 1, 2, ...).
CHILDREN = {0: [22, 22, 20, 14, 10, 6, 6], 1: [50, 28, 17, 5], 2: [58, 32, 10], 3: [60, 36, 4], 4: [62, 38]}
VENDORS_PER_ACTIVITY = [(1, 24), (2, 30), (3, 22), (4, 12), (5, 6), (7, 4), (10, 2)]


def _table(pairs):
    """(values, cumulative weights) for rng.choices."""
    vals, cum, total = [], [], 0.0
    for v, w in pairs:
        total += w
        vals.append(v)
        cum.append(total)
    return vals, cum


@dataclass
class Org:
    name: str
    country: str        # ISO code, "" (not recorded) or "?" (written as an unknown place)
    written: str        # recipient_country as written
    processing: str     # processing_countries cell
    dpf: str            # dpf_certified cell
    sector: str
    depth: int          # 0: engaged by controllers; 1..5: sub-processor level
    children: list[int] = field(default_factory=list)
    places: int = 0     # PROCESSES_IN count
    est: int = 0        # ESTABLISHED_IN count


@dataclass
class Stats:
    """What a generation wrote (and what the importer will build from it)."""

    relationships: int = 0
    rows: int = 0
    activities: int = 0
    controllers: int = 0
    organisations: int = 0
    special_activities: int = 0
    max_depth: int = 0
    requested: int = 0
    seed: int = 0
    by_type: dict = field(default_factory=dict)


class _Generator:
    def __init__(self, relationships: int, seed: int):
        self.n = relationships
        self.rng = random.Random(seed)
        self.names: set[str] = set()
        rng = self.rng
        self.group = rng.choice(GROUP_NAMES)
        n_controllers = max(3, min(len(SUBSIDIARIES), 3 + relationships // 50_000))
        self.controllers = []
        for cc, form, city in SUBSIDIARIES[:n_controllers]:
            self.controllers.append((f"{self.group} Contact Services {city} {form}", cc))
        self.docs = [f"register:{self.group.lower()}-{cc.lower()}-{i + 1:02d}"
                     for i, (_, cc) in enumerate(self.controllers)]
        self.countries = _table(COUNTRY_WEIGHTS)
        self.big_countries = _table(BIG_COUNTRY_WEIGHTS)
        self.orgs: list[Org] = []
        self.pair_tail: dict[tuple[int, int], tuple[str, str]] = {}   # (engager org, child org) -> row tail
        self.direct_tail: dict[tuple[int, int], tuple[str, str]] = {}  # (controller, vendor) -> row tail
        self._build_vendors()
        self.clients = [self._client_name() for _ in range(max(8, relationships // 2_000))]

    # -- names and places ---------------------------------------------------------
    def _word(self) -> str:
        rng = self.rng
        w = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3))))
        return w.capitalize()

    def _unique(self, make) -> str:
        for _ in range(50):
            name = make()
            if name.casefold() not in self.names:
                self.names.add(name.casefold())
                return name
        name = f"{make()} {len(self.names)}"
        self.names.add(name.casefold())
        return name

    def _client_name(self) -> str:
        return self._unique(lambda: f"{self._word()} {self.rng.choice(CLIENT_SECTORS)}")

    def _org(self, depth: int, big: bool = False) -> Org:
        rng = self.rng
        vals, cum = self.big_countries if big else self.countries
        cc = rng.choices(vals, cum_weights=cum)[0]
        form_cc = cc if cc in LEGAL_FORMS else "US" if cc == "?" else rng.choice(["DE", "NL", "US"])
        words = VENDOR_WORDS if depth == 0 else SUB_WORDS
        name = self._unique(lambda: f"{self._word()} {rng.choice(words)} {rng.choice(LEGAL_FORMS[form_cc])}")
        if cc == "?":
            written = rng.choice(UNKNOWN_PLACES)
        elif cc in COUNTRY_SPELLINGS and rng.random() < 0.15:
            written = rng.choice(COUNTRY_SPELLINGS[cc])
        else:
            written = cc
        processing = ""
        places = 0
        if cc in PROCESSING_EXTRA and rng.random() < 0.2:
            extra = rng.sample(PROCESSING_EXTRA[cc], rng.choice((1, 1, 2)))
            plist = [cc] + [p for p in extra if p != cc]
            processing = "; ".join(plist)
            places = len(plist)
        elif cc:
            places = 1  # inferred from the seat
        dpf = ""
        if cc == "US":
            dpf = "yes" if rng.random() < 0.45 else "no"
        sector = ""
        if cc in ("CA", "JP") and rng.random() < 0.2:
            sector = "public"
        return Org(name, cc, written, processing, dpf, sector, depth, places=places, est=1 if cc else 0)

    # -- vendors and their sub-processor trees ------------------------------------
    def _build_vendors(self) -> None:
        rng = self.rng
        n0 = max(40, min(6_000, self.n // 250))
        pools: list[list[int]] = []
        for depth in range(MAX_DEPTH + 1):
            size = max(6, n0 // (2 ** depth)) if depth else n0
            pool = []
            for rank in range(size):
                # The most popular ones (a Zipf rank, below) are the big platforms: EEA or US seats.
                self.orgs.append(self._org(depth, big=rank < max(2, size // 20)))
                pool.append(len(self.orgs) - 1)
            pools.append(pool)
        # The group's own offshore call centres, under its binding corporate rules.
        for cc, form in (("PH", "Inc."), ("IN", "Pvt Ltd"), ("US", "LLC")):
            org = Org(f"{self.group} Global Delivery {cc} {form}", cc, cc, "", "no" if cc == "US" else "", "", 0,
                      places=1, est=1)
            self.names.add(org.name.casefold())
            self.orgs.append(org)
            pools[0].append(len(self.orgs) - 1)
        self.group_affiliates = set(pools[0][-3:])
        # Sub-processors are shared: the popular ones (a Zipf-like rank) serve many engagers.
        for depth in range(MAX_DEPTH):
            below = pools[depth + 1]
            cum = list(_cumulative([1.0 / (r + 1) ** 0.9 for r in range(len(below))]))
            weights = CHILDREN[depth]
            cum_k = list(_cumulative(weights))
            for oid in pools[depth]:
                if oid in self.group_affiliates:
                    continue
                k = rng.choices(range(len(weights)), cum_weights=cum_k)[0]
                kids: list[int] = []
                for _ in range(k):
                    child = below[bisect.bisect_left(cum, rng.random() * cum[-1])]
                    if child not in kids:
                        kids.append(child)
                self.orgs[oid].children = kids
                for child in kids:
                    self.pair_tail[(oid, child)] = self._sub_tail(oid, child)
        # Some vendors (every 15th by popularity, so the small RoPAs have them too) have a chain of the full
        # depth: a cloud platform's support provider's telephony carrier's ...
        for v in pools[0][::15]:
            cur = v
            for depth in range(MAX_DEPTH):
                org = self.orgs[cur]
                if not org.children:
                    child = rng.choice(pools[depth + 1])
                    org.children.append(child)
                    self.pair_tail[(cur, child)] = self._sub_tail(cur, child)
                cur = org.children[0]
        self.vendors = pools[0]
        self.vendor_cum = list(_cumulative([1.0 / (r + 1) ** 0.8 for r in range(len(self.vendors))]))
        # Each vendor's tree as (engager, child) pairs in depth-first order, its depth and its organisations.
        self.tree: dict[int, tuple[list[tuple[int, int]], int]] = {}
        for v in self.vendors:
            pairs: list[tuple[int, int]] = []
            seen: set[tuple[int, int]] = set()
            depth = 0
            stack = [(v, 0)]
            while stack:
                oid, d = stack.pop()
                depth = max(depth, d)
                for child in reversed(self.orgs[oid].children):
                    if (oid, child) not in seen:
                        seen.add((oid, child))
                        pairs.append((oid, child))
                        stack.append((child, d + 1))
            self.tree[v] = (pairs, depth)

    def _mechanism(self, org: Org) -> str:
        cc = org.country
        if cc in EEA:
            return ""
        if cc == "US":
            table = MECHS_US_CERTIFIED if org.dpf == "yes" else MECHS_US
        elif cc in ADEQUATE:
            table = MECHS_ADEQUATE
        elif cc in ("", "?"):
            table = MECHS_UNKNOWN
        else:
            table = MECHS_THIRD
        vals, weights = zip(*table)
        return self.rng.choices(vals, weights=weights)[0]

    def _hop_cells(self, org: Org, mech: str, role: str) -> list[str]:
        """mechanism, mechanism_date, tia, dpa cells and the mechanism as written."""
        rng = self.rng
        written = mech
        if mech in MECH_WORDS and rng.random() < 0.25:
            written = rng.choice(MECH_WORDS[mech])
        date = ""
        if mech in MECH_DATES and rng.random() < 0.9:
            lo, hi = MECH_DATES[mech]
            if mech == "scc_2010" and rng.random() < 0.1:  # signed after the cut-off for new contracts
                lo, hi = dt.date(2021, 9, 28), dt.date(2022, 9, 30)
            date = (lo + dt.timedelta(days=rng.randrange((hi - lo).days + 1))).isoformat()
        tia = ""
        if mech.startswith("scc") or mech == "bcr":
            tia = rng.choices(("yes", "no", ""), weights=(55, 30, 15))[0]
        dpa = ""
        if role in ("processor", "subprocessor"):
            dpa = rng.choices(("yes", "no", ""), weights=(88, 5, 7))[0]
        return [written, date, tia, dpa]

    def _sub_tail(self, engager: int, child: int) -> tuple[str, str]:
        """The recipient columns of the row of a sub-processor (the same in every activity)."""
        e, c = self.orgs[engager], self.orgs[child]
        mech = self._mechanism(c)
        written, date, tia, dpa = self._hop_cells(c, mech, "subprocessor")
        occasional = "yes" if mech.startswith("derogation") and self.rng.random() < 0.4 else ""
        where = c.written or "an unrecorded country"
        evidence = f"Sub-processor list of {e.name}: {c.name}, {where}" + (f", relying on {written}." if written
                                                                          else ".")
        return _split_tail([c.name, "subprocessor", e.name, c.written, c.processing, written, date, tia, dpa,
                            c.dpf, evidence], [c.sector, occasional])

    def _direct_tail(self, ci: int, vendor: int) -> tuple[str, str]:
        rng = self.rng
        v = self.orgs[vendor]
        if vendor in self.group_affiliates:
            role, mech = "processor", "bcr"
        else:
            role = rng.choices(*zip(*ROLES_DIRECT))[0]
            mech = self._mechanism(v)
        written, date, tia, dpa = self._hop_cells(v, mech, role)
        occasional = "yes" if mech.startswith("derogation") and rng.random() < 0.4 else ""
        year = (date or "2024")[:4]
        evidence = (f"Data processing agreement with {v.name} ({year}), annex 1: processing in "
                    f"{v.processing or v.written or 'a country not stated'}" +
                    (f"; transfers under {written}." if written else "."))
        return _split_tail([v.name, role, "", v.written, v.processing, written, date, tia, dpa, v.dpf, evidence],
                           [v.sector, occasional])

    # -- activities -----------------------------------------------------------------
    def _activity(self, ci: int, used: set[str]) -> tuple[str, int, int, bool]:
        """The activity columns (CSV-encoded) of one new activity, its categories and subjects count, special
        or not."""
        rng = self.rng
        special = rng.random() < 0.09
        client = rng.choice(self.clients)
        if special:
            name, purpose, subjects, si, per_client = rng.choice(SPECIAL_ACTIVITIES)
            cat, condition = SPECIAL[si]
            basis = rng.choice(("legal obligation", "contract", "consent"))
            cats = [cat] + rng.sample(PLAIN_CATEGORIES, rng.randint(2, 6))
        else:
            name, purpose, basis, subjects, cats, per_client = rng.choice(ACTIVITIES)
            condition = ""
            cats = list(cats) + rng.sample(PLAIN_CATEGORIES, rng.randint(1, 5))
        cats = list({c.casefold(): c for c in reversed(cats)}.values())[::-1]
        base = f"{name} for {client}" if per_client else name
        title = base
        k = 1
        while title.casefold() in used:
            k += 1
            title = f"{base} ({k})"
        used.add(title.casefold())
        if rng.random() < 0.01:
            purpose = ""
        if rng.random() < 0.01:
            basis = ""
        retention = "" if rng.random() < 0.03 else rng.choice(RETENTION)
        security = "; ".join(rng.sample(SECURITY, rng.randint(1, 4)))
        controller, cc = self.controllers[ci]
        cols = [controller, cc, title, purpose, basis, condition, "; ".join(subjects), "; ".join(cats),
                retention, security]
        return _encode(cols)[:-1], len(cats), len(subjects), special

    def run(self, out: TextIO) -> Stats:
        rng = self.rng
        out.write(_encode(HEADER))
        docs = [_encode([d])[:-1] for d in self.docs]
        buf: list[str] = []
        st = Stats(requested=self.n, controllers=len(self.controllers))
        by = dict.fromkeys(["CONTROLS", "PROCESSES", "CONCERNS", "DISCLOSES_TO", "ENGAGES", "ESTABLISHED_IN",
                            "PROCESSES_IN", "EVIDENCED_BY"], 0)
        used_names = [set() for _ in self.controllers]
        seen_org: set[int] = set()
        org_doc: set[tuple[int, int]] = set()
        vendor_doc: set[tuple[int, int]] = set()
        n_ctl = len(self.controllers)
        vals, cum = _table(VENDORS_PER_ACTIVITY)
        total = 0
        ctl_seen: set[int] = set()
        while total < self.n:
            ci = rng.randrange(n_ctl)
            if ci not in ctl_seen:  # a controller is an organisation too: its seat, inferred as its place
                ctl_seen.add(ci)
                by["ESTABLISHED_IN"] += 1
                by["PROCESSES_IN"] += 1
                total += 2
            cols, n_cats, n_subjects, special = self._activity(ci, used_names[ci])
            doc = docs[ci]
            k = rng.choices(vals, cum_weights=cum)[0]
            chosen: list[int] = []
            for _ in range(k * 3):
                if len(chosen) == k:
                    break
                v = self.vendors[bisect.bisect_left(self.vendor_cum, rng.random() * self.vendor_cum[-1])]
                if v not in chosen:
                    chosen.append(v)
            added = 2 + n_cats + n_subjects  # CONTROLS, EVIDENCED_BY(activity, document)
            by["CONTROLS"] += 1
            by["EVIDENCED_BY"] += 1
            by["PROCESSES"] += n_cats
            by["CONCERNS"] += n_subjects
            pairs_done: set[tuple[int, int]] = set()
            for v in chosen:
                tail = self.direct_tail.get((ci, v))
                if tail is None:
                    tail = self.direct_tail[(ci, v)] = self._direct_tail(ci, v)
                buf.append(f"{cols},{tail[0]},{doc},{tail[1]}")
                st.rows += 1
                added += 1
                by["DISCLOSES_TO"] += 1
                pairs, depth = self.tree[v]
                st.max_depth = max(st.max_depth, depth)
                for pair in pairs:
                    if pair in pairs_done:
                        continue
                    pairs_done.add(pair)
                    tail = self.pair_tail[pair]
                    buf.append(f"{cols},{tail[0]},{doc},{tail[1]}")
                    st.rows += 1
                    added += 1
                    by["ENGAGES"] += 1
                if (v, ci) not in vendor_doc:  # first use of this vendor by this controller
                    vendor_doc.add((v, ci))
                    for oid in [v] + [c for _, c in pairs]:
                        if (oid, ci) not in org_doc:
                            org_doc.add((oid, ci))
                            by["EVIDENCED_BY"] += 1
                            added += 1
                        if oid not in seen_org:
                            seen_org.add(oid)
                            o = self.orgs[oid]
                            by["ESTABLISHED_IN"] += o.est
                            by["PROCESSES_IN"] += o.places
                            added += o.est + o.places
            total += added
            if len(buf) > 5000:
                out.write("".join(buf))
                buf.clear()
            st.activities += 1
            st.special_activities += special
        out.write("".join(buf))
        st.relationships = total
        st.organisations = len(seen_org) + len(ctl_seen)
        st.controllers = len(ctl_seen)
        st.by_type = by
        return st


_ENC_BUF = io.StringIO()
_ENC = csv.writer(_ENC_BUF, lineterminator="\n")


def _encode(fields: list) -> str:
    """One CSV line, exactly as csv.writer writes it (fields are quoted one by one, so lines can be
    assembled from encoded pieces)."""
    _ENC_BUF.seek(0)
    _ENC_BUF.truncate()
    _ENC.writerow(fields)
    return _ENC_BUF.getvalue()


def _split_tail(before_source: list, after_source: list) -> tuple[str, str]:
    """The recipient columns of a row, encoded in two pieces around ``source`` (which is per controller)."""
    return _encode(before_source)[:-1], _encode(after_source)


def _cumulative(weights):
    total = 0.0
    for x in weights:
        total += x
        yield total


def generate(out: TextIO, relationships: int, seed: int = 0) -> Stats:
    """Write a register CSV of about ``relationships`` imported relationships to ``out``."""
    if relationships < 1:
        raise ValueError("relationships must be at least 1")
    gen = _Generator(relationships, seed)
    stats = gen.run(out)
    stats.seed = seed
    return stats


def write_generated(out_dir: str | Path, relationships: int, seed: int = 0) -> Stats:
    """Write ``register.csv`` and ``manifest.json`` (parameters and expected counts) into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / (REGISTER_NAME + ".part")
    with open(tmp, "w", encoding="utf-8", newline="") as fp:
        stats = generate(fp, relationships, seed)
    tmp.replace(out / REGISTER_NAME)
    (out / MANIFEST_NAME).write_text(json.dumps(asdict(stats), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return stats
