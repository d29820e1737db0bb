"""Stage of the extractor: Who the controller is: the name the notice gives itself and its country."""
from __future__ import annotations

import re
from functools import lru_cache

from . import vocab
from .patterns import _country_pattern, _places_in
from .context import Context


_OWN_NAME = r"[A-Z][\w&.-]*(?:[ \t]+[A-Z][\w&.-]*){0,3}"
# "Acme.be, geëxploiteerd door Veldwerk BV", "Tinker Forge wordt beheerd door Anna Smit", "(Bloeikracht) worden
# aangeboden door Zonnewerf", "Acme is operated by Acme Labs Ltd": the first name is the site's or service's own, the
# second its operator (read near the notice's start only, and never of a gazetteer vendor)
_SITE_OPERATOR = re.compile(
    rf"(?:\((?P<b>{_OWN_NAME})\)|(?P<s>{_OWN_NAME}))[ \t]*,?[ \t]+(?:(?i:wordt|worden|is|are|wird|werden)[ \t]+)?"
    r"(?i:beheerd|geëxploiteerd|uitgebaat|aangeboden|operated|run|owned|betrieben|angeboten)[ \t]+(?i:door|by|von|durch)"
    rf"[ \t]+(?:(?i:der|die|dem|de|het|the)[ \t]+)?(?P<o>{_OWN_NAME})")
# the notice's own title in front matter or a heading: "description: "Privacyverklaring van Acme.be."",
# "# Privacy Policy of Acme": the name is the notice's own (the site's, if not the controller's)
_OWN_TITLE = re.compile(
    r"(?:(?m:^)[ \t#*]*|\b(?i:title|description)[ \t]*[:=][ \t]*[\"']?(?:\w+[ \t]+){0,3}?)"
    r"(?i:privacy[ \t]*(?:policy|statement|notice)|privacyverklaring|privacybeleid|Datenschutzerklärung|Datenschutzhinweise)"
    rf"[ \t]+(?i:van|of|for|von|der|des|für)[ \t]+(?P<n>{_OWN_NAME}|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{{2,}}\b)")


@lru_cache(maxsize=4096)
def own_key(name: str) -> str:
    """A name reduced for comparing spellings of one name: case, spaces, hyphens, legal form and a domain's ending.

    >>> own_key("Blue Heron"), own_key("BlueHeron"), own_key("blueheron.nl"), own_key("Blue-Heron B.V.")
    ('blueheron', 'blueheron', 'blueheron', 'blueheron')
    """
    name = vocab.legal_forms().sub(" ", name.replace("**", ""))
    name = re.sub(r"\.(?:[a-z]{2}|com|org|net|info|io|app|dev|eu)\.?$", "", name.strip(" ,.").casefold())
    return re.sub(r"[\W_]+", "", name)


class ControllerStage(Context):
    # -- controller -------------------------------------------------------------
    def own_names(self) -> tuple[list[str], list[str]]:
        """(the site's own names, their operators) as the notice's start states them."""
        head = self.text[:4000]
        _, vendor_names, _ = vocab.vendors()
        sites, operators = [], []
        for m in _SITE_OPERATOR.finditer(head):
            site = (m.group("b") or m.group("s")).strip(" ,.")
            op = self._phrase_name(m.group("o"))
            if vendor_names.search(site) or not op or vendor_names.search(op):
                continue
            sites.append(site)
            operators.append(op)
        for m in _OWN_TITLE.finditer(head):
            name = m.group("n").strip(" ,.")
            if not vendor_names.search(name):
                sites.append(name)
        return sites, operators

    def controller(self) -> dict:
        text = self.text
        cands: list[tuple[int, str, int]] = []
        sites, operators = self.own_names()
        paired = dict(zip(sites, operators))  # (title names come after the pairs and have no operator)
        self._own_names = sites
        lf = vocab.legal_forms()
        patterns = [
            r"(?P<n>[A-Z][\w&.-]*(?:\s+[A-Z][\w&./-]*){0,4}(?:\s+(?:en|and|und)\s+[A-Z][\w&./-]*(?:\s+[A-Z][\w&./-]*){0,3})?)"
            r"\s*(?:\(|,)?\s*(?:[“\"'][^”\"'\n]{1,30}[”\"'],?\s*){0,2}(?:hereinafter|hierna|nachfolgend|[“\"'](?:we|us|wij|ons|wir|uns)[”\"'])",
            r"(?P<n>[A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*){0,3}(?:\s+(?:B\.V\.|BV|NV/SA|GmbH|AG|Ltd\.?|Inc\.?|LLC))?)\s+(?:is|acts as|is the|treedt op als|ist)\s+(?:the\s+|de\s+|der\s+)?"
            r"(?:data\s+)?(?:controller|verwerkingsverantwoordelijke|verantwoordelijke|Verantwortliche)",
            # the notice's own title ("# Privacy Policy of Acme", "This is the privacy statement of Acme"), not a
            # pointer to a vendor's policy ("read the privacy policy of Formzilla")
            r"(?:(?m:^)(?:title:[ \t]*[\"']?)?[ \t#*]*(?:[Tt]he\s+|[Dd]e\s+)?|\b(?:[Tt]his is the|[Dd]it is de|[Dd]ies ist die)\s+)"
            r"(?i:privacy (?:policy|statement|notice) of|privacyverklaring van|Datenschutzerklärung de[rs])\s+(?P<n>[A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*){0,3}(?:\s+(?:B\.V\.|BV|GmbH|AG|Ltd\.?|Inc\.?|LLC))?)",
            r"(?:hoe|how|wie)\s+(?P<n>[A-Z][\w&.-]*(?:\s+[A-Z][\w&./-]*){0,3})\s+(?:en|and|und)\s+[A-Z]",
            r"(?:verantwoordelijke|Verantwortliche[r]?|controller)\s*(?:is|ist)?\s*:\s*\n+\s*(?P<n>[^\n]{2,60})",
            # "verantwortliche Stelle im Sinne des Datenschutzrechts" / "Data controller" on a line, the name on the next
            r"(?i:verantwortliche Stelle|verwerkingsverantwoordelijke|data controller)\b[^\n.:]{0,80}:?[ \t]*\n[ \t]*\n?[ \t]*"
            r"(?P<n>[A-Z][^\n,;]{2,70}?)[ \t]*\n",
            # a sub-processor list's opening: "Range Labs Inc. may engage and use data processors"
            r"(?P<n>[A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*){0,3},?\s+(?:B\.V\.|BV|GmbH|AG|Ltd\.?|Inc\.?|LLC))(?:\s*\([^)]{0,60}\))?,?"
            r"\s+(?:may|will|currently)?\s*(?:engages?|uses?)\b[^.]{0,40}\b(?:sub-?processors?|processors|service providers)",
        ]
        cue = re.compile(r"\b(?:controller|verwerkingsverantwoordelijke|verantwoordelijk\w*|verantwortlich\w*|hereinafter|"
                         r"hierna|nachfolgend|responsible)\b|[“\"'](?:we|wij|wir)[”\"']|\(\s*[“\"„'][A-Z][\w ]{1,30}[”\"“']\s*\)",
                         re.I)
        _, vendor_names, _ = vocab.vendors()
        for s in self.lay.sentences[:40]:
            c = cue.search(s.text)
            if not c:
                continue
            # a defined term alone ("Google Inc. (“Google”)") defines a vendor as often as the controller
            term_only = all(x.group(0).startswith("(") for x in cue.finditer(s.text))
            blk = self.lay.blocks[s.block]
            hi = max([s.end] + [b.end for b in self.lay.blocks[blk.idx + 1:blk.idx + 3] if len(b.text) <= 70])
            for m in lf.finditer(text, s.start, hi):
                if re.match(r"\s*\d{5}", text[m.end():m.end() + 7]):
                    continue
                start = self._name_before(m.start())
                if start is not None and start >= s.start:
                    name = text[start:m.end()].strip()
                    if vocab.cue("provider_intro").search(text[max(s.start, start - 80):start]):
                        break  # "Anbieter ist die Hetzner Online GmbH, … (nachfolgend Hetzner)": a vendor defined
                    if term_only and vendor_names.search(name):
                        continue
                    joint = re.match(r"\s+(?:en|and|und)\s+([A-Z][^,(“\"]{1,40}?" + r"(?:NV/SA|B\.V\.|BV|GmbH|Ltd|Inc\.?|SA))",
                                     text[m.end():])
                    if joint:
                        name = f"{name} {text[m.end():m.end() + joint.end()].strip()}"
                    cands.append((-1, name, start))
                    break
            if cands:
                break
        for weight, p in enumerate(patterns):
            for m in re.finditer(p, text[:20000]):
                name = m.group("n").strip(" ,.(").split("\n")[-1].strip(" ,.(")  # a name never spans lines
                if name.lower() in ("we", "wij", "wir", "this", "the", "our", "de", "die", "deze") \
                        or name.casefold() in set().union(*vocab.stopwords().values()):  # "Waar “wij” … staat"
                    continue
                if _places_in(name, 0, len(name), [], self.language) and not lf.search(name):
                    continue  # "…, 91710 Gunzenhausen (nachfolgend Hetzner)": the town of an address, no name
                cands.append((weight, name, m.start("n")))
        if not cands:
            # Wording that names the notice's owner ("we are Acme", "Acme uses the following sub-processors",
            # the imprint's "Angaben gemäß § 5 TMG"). No such wording: the controller stays unknown. (A guess
            # such as the most frequent capitalised word took a vendor named in prose, then dropped that
            # vendor as "the controller itself".)
            for p in vocab.controller_phrases():
                for m in p.finditer(text[:20000]):
                    name = self._phrase_name(m.group("n"))
                    if name:
                        cands.append((7, name, m.start("n")))
                        break
        if not cands and operators:  # "Tinker Forge wordt beheerd door Anna Smit": the site's operator
            cands.append((8, operators[0], text.find(operators[0])))
        if not cands:
            return {"name": None, "country": None}
        weight, name, pos = min(cands, key=lambda c: (c[0], c[2]))
        # a site named with its operator is the notice's own only when that operator is the controller ("Formzilla
        # is operated by Formzilla Inc." on a page about a vendor names no site of ours)
        self._own_names = [n for n in self._own_names if n not in paired or own_key(paired[n]) == own_key(name)
                           or own_key(n) == own_key(name)]
        # prefer the same name written with its legal form elsewhere
        full = re.search(re.escape(name) + r"(?:\s*,)?\s+(?:B\.V\.|BV|N\.V\.|NV/SA|NV|GmbH|AG|Ltd\.?|Inc\.?|LLC|SA|SAS)", text)
        if full and not lf.search(name):
            name = full.group(0)
        country, source = self._controller_country(name)
        return {"name": name, "country": country, "country_source": source}

    _LEAD = re.compile(r"^(?:(?:De|Het|Die|Der|Das|The|Dit|Deze|This)\s+)+")
    _TRAIL = re.compile(r"(?:[\s,;:.]+|\s+(?:and|und|en|of|van|von|der|de|du|den|&))+$")

    def _phrase_name(self, raw: str) -> str | None:
        """The name a controller phrase captured, trimmed; None when it is no name ("We", "Company", a vendor)."""
        raw = raw.replace("**", "").strip("[] ")
        for m in re.finditer(r"\.\s", raw):  # a full stop ends the name unless it ends a legal form ("Ltd.")
            if not re.search(r"\b(?:Ltd|Inc|Co|Corp|B\.V|N\.V|e\.V|e\.K|S\.A|S\.L)$", raw[:m.start()]):
                raw = raw[:m.start()]
                break
            raw = raw[:m.start() + 1]
            break
        name = self._TRAIL.sub("", self._LEAD.sub("", raw))
        if len(name) < 2 or name.casefold() in {"we", "wij", "wir", "company", "the company", "us", "our"}:
            return None
        if name.casefold() in set().union(*vocab.stopwords().values()) or vocab.cue("not_a_name").fullmatch(name):
            return None
        return name

    def _controller_country(self, name: str) -> tuple[str | None, str | None]:
        text = self.text
        for m in re.finditer(re.escape(name), text):
            # an address right after the name: the same line and the next few short lines
            s = self.sentence_at(m.start())
            hi = s.end
            blk = self.lay.blocks[s.block]
            nxt = [b for b in self.lay.blocks[blk.idx + 1: blk.idx + 4] if len(b.text) <= 70]
            if nxt:
                hi = max(hi, nxt[-1].end)
            places = [p for p in _places_in(text, m.end(), hi, [], self.language) if p[2]]
            # an address: a street number or postcode between name and place, or the place right after
            places = [p for p in places if p[0] - m.end() <= 160 and (re.search(r"\d", text[m.end():p[0]])
                                                                       or len(text[m.end():p[0]].strip(" ,")) <= 2)]
            if places:
                return places[0][2], "address"
        for pattern, country in vocab.authorities():
            if pattern.search(text):
                return country, "supervisory authority"
        return None, None
