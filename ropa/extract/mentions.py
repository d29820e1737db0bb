"""A stage of the extractor. Organisation mentions: gazetteer names, names with a legal form, list items,
examples, tables, links."""
from __future__ import annotations

import bisect
import re

from .. import reference
from . import vocab
from .patterns import _EMAIL_OR_URL, _REGIONAL_SUFFIX, _SOURCE_COMMENT, _cell_text, _masked, _name_stops, _places_in
from .draft import Mention
from .prose import ProseStage


# the first part of a closed compound cut short before a conjunction: "Meta- und Kommunikationsdaten" (metadata).
# "Google- oder Apple-Konto" still names Google: there the second word is a hyphenated brand compound.
_CUT_COMPOUND = re.compile(r"-\s+(?:und|oder|bzw\.?|sowie|and|or|en|of)\s+[^\W\d_]+(?![\w-]*-)\b"
                           r"|-,\s+[^\W\d_]+-(?=[\s,])"  # "Meta-, Kommunikations- und Verfahrensdaten"
                           r"|-\s*/\s*[^\W\d_]+", re.I)  # "Meta-/Kommunikationsdaten"

# column roles that mark a kind of table rather than a column to read
_MARKER_COLUMNS = ("retention", "bare_name")

# after a list item's first words: up to two more parts (a contact person, a street), then a postcode and a town
# ("…, Jonas Muster, Hauptstraße 15, 55116 Mainz", "…, Keizersgracht 1, 1015 CJ Amsterdam")
_POSTAL_AFTER = re.compile(r"\s*,(?:[^,()\n]{2,60},){0,2}\s*(?:[A-Z]{1,2}-)?\d{4,5}(?:\s?[A-Z]{2})?\s+[A-ZÄÖÜ][\w-]+")


class MentionStage(ProseStage):
    # -- mentions ---------------------------------------------------------------
    def find_mentions(self) -> None:
        lay, text = self.lay, self.text
        _, vpattern, by_name = vocab.vendors()
        lf = vocab.legal_forms()
        starts: list[int] = []  # the taken spans never overlap, so sorted by start they are sorted by end
        ends: list[int] = []

        def add(m: Mention) -> None:
            i = bisect.bisect_left(starts, m.end)  # spans starting before m ends: only the last can reach m
            if i and ends[i - 1] > m.start:
                return
            starts.insert(i, m.start)
            ends.insert(i, m.end)
            self.mentions.append(m)

        # tables first: their cells say exactly what is what
        for group in lay.lists:
            if group.kind == "table":
                self._table_mentions(group, add)
        url_masked = _masked(_masked(text, _EMAIL_OR_URL), _SOURCE_COMMENT)
        for m in vpattern.finditer(url_masked):
            if _CUT_COMPOUND.match(url_masked, m.end()):
                continue  # "Meta- und Kommunikationsdaten": the first part of a compound, no vendor
            s = self.sentence_at(m.start())
            full = self._extend_legal_form(m.start(), m.end())
            add(Mention(text[m.start():full], m.start(), full, s.idx, "gazetteer", vendor=by_name[m.group(0)],
                        legal_form=full > m.end()))
        ipattern, by_fold = vocab.vendors_inner_case()
        for m in ipattern.finditer(url_masked):
            word = m.group(0)
            if word in by_name or not word[0].isupper() or not word[1:].islower() \
                    or _CUT_COMPOUND.match(url_masked, m.end()):
                continue  # listed spelling (taken above), or not a capitalised word
            s = self.sentence_at(m.start())
            add(Mention(word, m.start(), m.end(), s.idx, "gazetteer", vendor=by_fold[word.casefold()]))
        for m in lf.finditer(url_masked):
            if re.match(r"\s*\d{5}\b", url_masked[m.end():m.end() + 7]):
                continue  # "Reno, NV 89511": a US state, not a legal form
            start = self._name_before(m.start())
            if start is None:
                continue
            s = self.sentence_at(start)
            name = text[start:m.end()].strip()
            # a known vendor's company written another way ("Rocket Science Group, LLC") is that vendor
            add(Mention(name, start, m.end(), s.idx, "legal_form", legal_form=True, vendor=vocab.vendor_near(name)))
        for blk in lay.blocks:
            if blk.kind == "item" and self.recipient_list(blk.idx):
                self._item_mentions(blk, add)
        self._address_lines(add)
        self._example_mentions(add)
        self._bracketed_links(add)
        self._prose_mentions(add)
        self._co_listed(add)
        self._brand_links(add)
        self._heading_brands(add)
        self.mentions.sort(key=lambda m: m.start)
        self._provider_links()

    def _extend_legal_form(self, start: int, end: int) -> int:
        j = end
        while j < len(self.text) and self.text[j] == " ":
            j += 1
        m = vocab.legal_forms().match(self.text, j) or _REGIONAL_SUFFIX.match(self.text, end)
        return end if m is None else m.end()

    def _name_before(self, pos: int) -> int | None:
        """Start of the organisation name that ends right before a legal form at ``pos``."""
        text = self.text
        stops, descriptive = _name_stops()
        i = pos
        while i > 0 and text[i - 1] in " ,\t":
            i -= 1
        start = None
        lowercase_used = False
        count = 0
        while count < 5:
            m = re.search(r"([\w&][\w.&+'’/-]*)$", text[max(0, i - 60):i])
            if not m:
                break
            word = m.group(1)
            if word == "&":  # "Müller & Partner GmbH"
                i -= 2
                continue
            wstart = i - len(word)
            low = word.casefold()
            if low in stops and word[:1].isupper() and count > 0:
                # "Bakkerij De Gouden Korst B.V.": a capitalised article inside a name
                prev = re.search(r"([\w][\w.&+'’/-]*)\s+$", text[max(0, wstart - 40):wstart])
                if prev and prev.group(1)[:1].isupper() and prev.group(1).casefold() not in stops:
                    low = ""
            if low in stops or descriptive.search(low) or re.fullmatch(r"\d+(e|de|ste|th|st|nd|rd)?\.?", low):
                break
            if not (word[0].isupper() or word[0].isdigit() or re.search(r"[A-Z]", word[1:]) or "." in word):
                # one lower-case word, as brands write themselves: "dogado GmbH", "envia TEL GmbH"; never before a
                # lower-case form ("in limited circumstances" names no one)
                after = text[start:pos].split()[0] if start is not None else ""
                if lowercase_used or count > 1 or (count == 1 and not re.fullmatch(r"[A-Z]{2,}", after)) \
                        or text[pos:pos + 1].islower():
                    break
                lowercase_used = True
            start = wstart
            count += 1
            j = wstart
            if j > 0 and (text[j - 1] == " " or (text[j - 1] == "\n" and j > 1 and text[j - 2] != "\n"
                                                 and self.sentence_at(j - 2).block == self.sentence_at(j).block)):
                i = j - 1  # (a name wrapped over two lines of a paragraph: "die Rocket\nScience Group LLC")
            else:
                break
        if start is None:
            return None
        while start < pos and text[start] == "_":  # "__Acme Inc, USA__": emphasis, not the name
            start += 1
        slash = re.match(r"[a-z]+/(?=[A-Z])", text[start:pos])  # "ik/Gandi SAS": the name after the slash
        if slash:
            start += slash.end()
        name = text[start:pos].strip(" ,")
        while name.split() and name.split()[0] in ("The", "De", "Die", "Der", "Het", "Das"):
            start = text.index(name.split()[1], start) if len(name.split()) > 1 else None
            if start is None:
                return None
            name = text[start:pos].strip(" ,")
        if not name or not re.search(r"[A-Za-z]", name):
            return None
        return start

    def _item_mentions(self, blk, add) -> None:
        """A recipients-list item that opens with a name: 'Twikey, die ons ...' / 'Acme (hosting)'."""
        text = self._link_view()  # "- [Acme](https://acme.example)" is an item naming Acme
        s = self.lay.sentences_of_block(blk.idx)[0]
        body = text[blk.start:blk.end]
        skip = len(body) - len(body.lstrip())
        # the name ends at a comma, a bracket, a colon, a dash, two spaces (a blanked link target), the item's end, or
        # a full stop before a sentence ("Acme Cloud. Cloud services provider."; not "Dr. X" or "B.V. X")
        m = re.match(r"([^\s,(:–—-][^,(:–—]{0,60}?)\s*(?:,|\(|:|\s[–—-]\s|\.$|$|(?<=\S)\s\s|"
                     r"(?<!\b[A-Za-z])(?<!\b[A-Za-z]{2})\.\s(?=[A-Z]))", body[skip:])
        if not m:
            return
        name_end = m.end(1)
        gap = re.search(r"\s{2,}", m.group(1))  # where a link's target was blanked: "[Acme](https://…). Hosting."
        if gap:
            name_end = m.start(1) + gap.start()
        name = body[skip + m.start(1):skip + name_end].strip().rstrip(".")
        lead = re.match(r"(?:[*_]+\s*)?(?:(?:the|de|het|die|der|das|den)\s+)?", name, re.I)  # "die DATEV eG", "**Acme:**"
        if lead and lead.end():
            name = name[lead.end():]
        else:
            lead = None
        name = name.rstrip("*_ ")
        words = name.split()
        if not words or len(words) > 5:
            return
        rest = text[blk.start + skip + name_end:blk.end]
        if not vocab.vendor_near(name) and self._examples_follow(rest):
            return  # "Betaaldiensten (zoals Mollie)", "Advertentienetwerken (Google, Facebook)": a kind, with examples
        apposition = re.match(r"\s*(?:,\s*(?:die|dat|which|who|that|der|das|welche|een|a|an|ein|eine|our|onze|unser|"
                              r"is|provides|biedt|levert)\b|\(|\s[–—-]\s)", rest, re.I)
        stops = set().union(*vocab.stopwords().values())
        # CamelCase, digits, a domain or an all-caps word are brands; "IT-Dienstleister" is not
        brandlike = (any(re.search(r"[a-z][A-Z]|\d|\.\w", w) or re.fullmatch(r"[A-Z]{3,}", w) for w in words)
                     or (self.language != "de"  # German capitalises every noun
                         and all(w[0].isupper() for w in words if w[0].isalpha()) and len(words) <= 3
                         and not any(w.casefold() in stops for w in words)
                         and (apposition is not None or not rest.strip()  # an item that is the name alone
                              or re.match(r"\s*\.\s", rest))))  # or the name, then a sentence about it
        if not brandlike:  # "Acme, Jonas Muster, Hauptstraße 15, 55116 Mainz": a name, then its postal address
            brandlike = bool(_POSTAL_AFTER.match(rest))
        if not brandlike:  # "- [Postmark](https://postmarkapp.com), e-mail": a brand link
            raw = re.match(r"\s*\[([^\]]+)\]\((?:https?://)?(?:www\.)?([^/)\s]+)", self.text[blk.start:blk.end])
            brandlike = bool(raw) and raw.group(1).strip() == name and any(
                w in raw.group(2).casefold() for w in re.findall(r"[a-z0-9]{3,}", name.casefold()))
        if not brandlike and len(words) <= 3:  # "**Paystream:** … at https://paystream.io/privacy": the item links its site
            key = re.sub(r"\W", "", name.casefold())
            hosts = re.findall(r"(?:https?://)(?:www\.)?([^/)\s\]]+)", self.text[blk.start:blk.end])
            brandlike = len(key) >= 4 and any(key in h.casefold().replace("-", "") for h in hosts)
        if not brandlike:
            return
        start = blk.start + skip + m.start(1) + (lead.end() if lead else 0)
        add(Mention(name, start, start + len(name), s.idx, "list_item", legal_form=bool(vocab.legal_forms().search(name)),
                    vendor=vocab.vendor_near(name)))

    def address_lines(self) -> dict[int, tuple[int, str]]:
        """Plain text without bullets: a list of companies, one per line, each 'Name, street, postcode Town', right
        after a paragraph that shares data with them ('… bei den folgenden Unternehmen.'); by block, where each
        line's name starts and the name. What the items of such a list name (:meth:`_item_mentions`), with the
        line breaks as its only structure."""
        if "_address_lines_cache" not in self.__dict__:
            text, intro, out = self.text, False, {}
            for blk in self.lay.blocks:
                body = text[blk.start:blk.end]
                m = re.match(r"\s*([^\s,(:][^,(:\n]{0,60}?)(?=,)", body) \
                    if blk.kind == "para" and "\n" not in body.strip() else None
                if m and intro and _POSTAL_AFTER.match(body, m.end(1)) and len(m.group(1).split()) <= 5:
                    out[blk.idx] = (blk.start + m.start(1), m.group(1).strip())
                    continue  # the list goes on
                intro = blk.kind == "para" and bool(vocab.cue("share_intro").search(body))
            self.__dict__["_address_lines_cache"] = out
        return self.__dict__["_address_lines_cache"]

    def _address_lines(self, add) -> None:
        for blk, (start, name) in self.address_lines().items():
            add(Mention(name, start, start + len(name), self.lay.sentences_of_block(blk)[0].idx, "list_item",
                        legal_form=bool(vocab.legal_forms().search(name)), vendor=vocab.vendor_near(name)))

    @staticmethod
    def _examples_follow(rest: str) -> bool:
        """Whether the brackets right after a list item's first words give examples of it: an example cue
        ("(zoals Mollie)", "(such as …)") or two or more vendors the gazetteer knows ("(Google, Facebook)")."""
        br = re.match(r"\s*\(([^()]{2,120})\)", rest)
        if not br:
            return False
        inner = br.group(1)
        if vocab.cue("example").match(inner.strip()):
            return True
        parts = [p.strip() for p in re.split(r",|\b(?:and|or|en|of|und|oder)\b", inner) if p.strip()]
        return len(parts) >= 2 and sum(vocab.vendor_near(p) is not None for p in parts) >= 2

    def _example_mentions(self, add) -> None:
        """Names given as examples of a recipient category: 'Advertising platforms (such as Google, TikTok)'."""
        text = self.text
        for blk in self.lay.blocks:
            if blk.kind != "item" or not self.recipient_list(blk.idx):
                continue
            body = text[blk.start:blk.end]
            for m in re.finditer(r"\((?P<ex>[^)]*)\)", body):
                inner = m.group("ex")
                em = vocab.cue("example").search(inner)
                if not em:
                    continue
                pos = blk.start + m.start("ex") + em.end()
                for part in re.finditer(r"[^,;]+", inner[em.end():]):
                    chunk = part.group(0)
                    for sub in re.finditer(r"[^/]+", re.sub(r"\b(and|or|en|of|und|oder)\b", ",", chunk)):
                        word = sub.group(0).strip(" .")
                        if not word or not word[0].isupper() or len(word.split()) > 3:
                            continue
                        if self.language == "de" and not (vocab.vendor_near(word) or vocab.legal_forms().search(word)
                                                          or re.search(r"[a-z][A-Z]|\d|\.\w", word)):
                            continue  # German capitalises every noun: "(z. B. Archivierung, Logistik)" names no one
                        a = text.find(word, pos)
                        if a < 0:
                            continue
                        s = self.sentence_at(a)
                        add(Mention(word, a, a + len(word), s.idx, "example",
                                    category=self._category_name(body)))

    def _heading_brands(self, add) -> None:
        """"### Customer.io" over "*Legal Address:* …" and "*Data Processing Location:* Belgium": a short heading over
        a vendor's labelled fields names that vendor (cue kind ``vendor_field``)."""
        blocks, field = self.lay.blocks, vocab.cue("vendor_field")
        for sec in self.lay.sections:
            if sec.heading_block is None:
                continue
            hb = blocks[sec.heading_block]
            title = hb.text.strip(" *_:")
            words = title.split()
            if not words or len(words) > 4 or len(title) > 40 or not title[0].isupper() or title.endswith("?"):
                continue
            for b in blocks[hb.idx + 1:hb.idx + 15]:
                if b.kind == "heading":
                    break
                if field.search(re.sub(r"[*_]", "", self.text[b.start:b.end])):
                    at = self.text.find(title, hb.start, hb.end)
                    if at >= 0:
                        s = self.sentence_at(at)
                        add(Mention(title, at, at + len(title), s.idx, "heading",
                                    legal_form=bool(vocab.legal_forms().search(title)), vendor=vocab.vendor_near(title)))
                    break

    def _bracketed_links(self, add) -> None:
        """'... ein externer Dienstleister genutzt ([Disqus](https://www.disqus.com))': a link in brackets whose
        text is the linked site's name names the service the sentence speaks of."""
        text = self.text
        for m in re.finditer(r"\(\s*\[([A-Z][\w.-]{1,30})\]\((?:https?://)?(?:www\.)?([\w-]+)\.[^)\s]*\)\s*\)", text):
            name, label = m.group(1), m.group(2)
            if re.sub(r"\W", "", name.casefold()) != label.casefold():
                continue
            s = self.sentence_at(m.start(1))
            if not vocab.cue("service").search(text[s.start:m.start()]):
                continue
            add(Mention(name, m.start(1), m.end(1), s.idx, "prose", vendor=vocab.vendor_near(name)))

    def _brand_links(self, add) -> None:
        """'mailbox.org (Heinlein Support GmbH, …)': the legal entity belongs to the brand before the bracket."""
        text = self.text
        known = [x for x in self.mentions if x.vendor and not x.legal_form and x.via != "table"]
        ends, starts = {x.end: x for x in known}, {x.start: x for x in known}
        for m in list(self.mentions):
            if m.start == 0:
                continue
            if not m.legal_form:
                # "GitHub (Microsoft Corporation)": a known company alone in brackets right after another known brand
                # is that brand's company (one recipient)
                if m.via == "gazetteer" and m.vendor and vocab.legal_forms().search(m.name) \
                        and re.match(r"\s*\)", text[m.end:m.end + 3]):
                    op = re.search(r"\s*\(\s*$", text[max(0, m.start - 4):m.start])
                    brand = ends.get(m.start - len(op.group(0))) if op else None
                    if brand is not None and brand.vendor != m.vendor:
                        m.entity_of = brand.name
                continue
            if (m.via == "legal_form" and not m.vendor) or (m.via == "gazetteer" and m.vendor):
                # "Mailchimp (Intuit Inc.)", "Acme Holdings LLC (Mailchimp)": a company in brackets right after a
                # vendor the gazetteer knows, or before it, is that vendor's company: one recipient
                op = re.search(r"\s*\(\s*$", text[max(0, m.start - 4):m.start])
                after = re.match(r"\s*\(\s*", text[m.end:m.end + 4])
                brand = (ends.get(m.start - len(op.group(0))) if op else None) \
                    or (starts.get(m.end + after.end()) if after else None)
                if brand is not None and (not m.vendor or (op and brand.vendor != m.vendor)):
                    # ("GitHub (Microsoft Corporation)": a known parent company in brackets after its brand too)
                    m.entity_of = brand.name
                    continue
            before = text[max(0, m.start - 40):m.start]
            b = re.search(r"([\w][\w.-]*\.[a-z]{2,}|[A-Z][\w]*[A-Z][\w]*)\s*\($", before)
            if b:
                brand = b.group(1)
                a = m.start - len(before) + b.start(1)
                s = self.sentence_at(a)
                add(Mention(brand, a, a + len(brand), s.idx, "brand"))
                m.entity_of = brand

    def _provider_links(self) -> None:
        """The legal entity that runs a service, and a recipient's parent company.

        "Wir nutzen Mailchimp. Anbieter ist die Rocket Science Group LLC": the entity belongs to the service
        named before it in its section (one recipient, not two). "…, a subsidiary of Acme Holdings Inc.": the
        parent is named, not disclosed to (cue kinds ``provider_intro`` and ``parent_ref``).
        """
        text, lay = self.text, self.lay
        provider, parent = vocab.cue("provider_intro"), vocab.cue("parent_ref")
        for i, m in enumerate(self.mentions):
            if m.vendor and not m.legal_form and m.via == "gazetteer" and m.status == "active":
                # "… mit seiner in den USA ansässigen Konzernmutter Meta teilt": a known parent named bare
                lo = max(lay.sentences[m.sentence].start, m.start - 80)
                if parent.search(re.sub(r"[*_]+", "", text[lo:m.start]).rstrip(" ,:")):
                    m.status, m.reason = "not_a_recipient", "the parent company of a recipient"
                    continue
            if not (m.legal_form or (m.vendor and vocab.legal_forms().search(m.name))) or m.via == "table" \
                    or m.status != "active":
                continue  # (a gazetteer name written with its legal form: "… of the Microsoft Corporation")
            s = lay.sentences[m.sentence]
            lo = max(s.start, m.start - 80)
            before = re.sub(r"[*_]+", "", text[lo:m.start]).rstrip(" ,:")
            before_colon = re.sub(r"[*_]+", "", text[lo:m.start]).rstrip(" ")
            if parent.search(before) or parent.search(before_colon):
                m.status, m.reason = "not_a_recipient", "the parent company of a recipient"
                continue
            if not m.legal_form or not (provider.search(before) or provider.search(before_colon)) or m.entity_of:
                continue
            section = s.section
            linked = False
            for prev in reversed(self.mentions[:i]):
                ps = lay.sentences[prev.sentence]
                if ps.section != section or (m.start - prev.end > 1500 and not (s.kind == "item" and ps.block == s.block)):
                    break  # (a long bullet is read to its start)
                if ps.block != s.block and "item" in (ps.kind, s.kind) and ps.kind != "heading":
                    break  # a bullet's provider belongs to that bullet's service, never to the bullet before
                if prev.status == "active" and not prev.legal_form and prev.via != "table":
                    if m.vendor and prev.vendor == m.vendor and ":" not in prev.key and s.kind == "item" \
                            and ps.block == s.block and prev.name != prev.vendor:
                        continue  # "… mit Facebook …; Dienstanbieter: Meta Platforms": the provider's other name
                    if not (m.vendor and prev.vendor == m.vendor):  # one vendor's product: joined when grouped
                        m.entity_of = prev.name
                    linked = True
                    break
            if not linked and not m.entity_of and not m.vendor:
                # "Wir nutzen den X-Dienst. Dieser Service wird von Acme, Inc. bereitgestellt. X wird verwendet, …":
                # the service is named (as a name of its own) only after its provider, in the same section
                for nxt in self.mentions[i + 1:]:
                    ns = lay.sentences[nxt.sentence]
                    if ns.block != s.block or nxt.start - m.end > 1500:
                        break  # (only in the provider's own paragraph or item)
                    if nxt.status == "active" and not nxt.legal_form and nxt.via != "table" and ns.kind != "heading" \
                            and not (m.vendor and nxt.vendor == m.vendor):
                        m.entity_of = nxt.name
                        break

    def _table_mentions(self, group, add) -> None:
        text = self.text
        roles: dict[int, str] = {}
        header, items = list(group.header), list(group.items)
        if not any(_cell_text(h) for h in header) and items:
            # "|  |  |  |\n|---|---|---|\n| Sub-Processor | Location | Purpose |": an empty header row, the real
            # header in the first row
            first = [_cell_text(text[a:b]) for a, b in self.lay.blocks[items[0]].cells]
            if any(role == "name" and p.search(c) for c in first for role, p in vocab.table_columns()):
                header, items = first, items[1:]
        columns = vocab.table_columns()
        for i, head in enumerate(header):
            for role, pattern in columns:
                if role in _MARKER_COLUMNS:
                    continue
                if role not in roles.values() and i not in roles and pattern.search(head):
                    roles[i] = role
        if "name" not in roles.values():
            if not header:
                return
            roles.setdefault(0, "name")
        name_col = next((i for i, r in roles.items() if r == "name"), None)
        # "| Type | Naam | Doel | Bewaartermijn |": a table of cookies and stored keys, its bare "Naam" column
        # holds their names ("sb-access-token"); only a provider column ("Aanbieder") names recipients there
        heads = [_cell_text(h) for h in header]
        if name_col is not None and name_col < len(heads) and any(
                r == "retention" and p.search(h) for h in heads for r, p in columns) and any(
                r == "bare_name" and p.search(heads[name_col]) for r, p in columns):
            return
        # "| Model / aanbieder |" over "| Claude (Anthropic) |": the provider is the one in brackets
        provider_in_brackets = name_col is not None and name_col < len(header) and any(
            r == "provider_in_brackets" and p.search(header[name_col]) for r, p in vocab.table_columns())
        for item in items:
            blk = self.lay.blocks[item]
            cells = blk.cells
            col = {roles[i]: cells[i] for i in roles if i < len(cells)}
            if "name" not in col:
                continue
            a, b = col["name"]
            name = text[a:b].strip()
            clean = _cell_text(name)
            if clean != name and clean:
                a += max(name.find(clean.split()[0]), 0)
                name = clean
                b = a + len(name) if text[a:a + len(name)] == name else b
            paren = re.match(r"(.+?)\s*\((.+)\)$", name)
            s = self.sentence_at(a)
            mention = Mention(name, a, b, s.idx, "table", legal_form=bool(vocab.legal_forms().search(name)))
            _, vpattern, by_name = vocab.vendors()
            v = vpattern.search(name)
            if v:
                mention.vendor = by_name[v.group(0)]
            else:
                mention.vendor = vocab.vendor_near(name.split(" (")[0])  # "Sendgrid, Inc.", "Sentry.io"
            if paren and provider_in_brackets:
                mention.name = paren.group(2)
                mention.start = a + paren.start(2)
                mention.end = a + paren.end(2)
                mention.legal_form = bool(vocab.legal_forms().search(mention.name))
                mention.vendor = vocab.vendor_near(mention.name)
            elif paren and self._example_in_cell(paren.group(2), col["name"], mention):
                pass  # "Support mailbox (help@…, e.g. Proton Mail)": the example names the provider
            elif paren:
                mention.name = paren.group(1)
                mention.entity = paren.group(2)
                mention.end = a + len(paren.group(1))
            if "location" in col:
                x, y = col["location"]
                cell = text[x:y]
                places = _places_in(text, x, y, [], self.language)
                code = next((p[2] for p in places if p[2]), None) or reference.resolve_country(cell)
                if code and code != "EEA":
                    mention.country, mention.country_source = code, "text"
                elif places and places[0][2]:
                    mention.country, mention.country_source = places[0][2], "address"
                elif code == "EEA" or any(p[3] == "EEA" for p in places) or re.search(r"\b(EEA|EU|EER|EWR)\b", cell):
                    mention.region, mention.country_source = "EEA", "text"
                mention.place_evidence = s.idx
                mention.more_places = [p[2] for p in places if p[2] and p[2] != mention.country]
            if "mechanism" in col:
                x, y = col["mechanism"]
                mech = reference.resolve_mechanism(_masked(text[x:y]))
                if mech and mech != "none":
                    mention.mechanism, mention.mechanism_sentence = mech, s.idx
            elif "basis" in col:
                # a "Legal basis" column names a transfer safeguard only when it says one ("Intra-group Agreement
                # with SCCs"); its "Consent" is the Art. 6 basis, no Art. 49 derogation
                x, y = col["basis"]
                mech = reference.resolve_mechanism(_masked(text[x:y]))
                if mech and mech != "none" and not mech.startswith("derogation"):
                    mention.mechanism, mention.mechanism_sentence = mech, s.idx
            add(mention)

    def _example_in_cell(self, inner: str, span: tuple[int, int], mention: Mention) -> bool:
        """A name cell that describes a kind and gives its provider as an example in brackets ("Support mailbox
        (help@acme.example, e.g. Proton Mail)"): the mention becomes that provider."""
        if mention.vendor:
            return False
        em = vocab.cue("example").search(inner)
        if not em:
            return False
        cand = re.split(r"[,;]", inner[em.end():], maxsplit=1)[0].strip(" .*_")
        if not cand or not cand[0].isupper() or len(cand.split()) > 4:
            return False
        at = self.text.find(cand, span[0], span[1])
        if at < 0:
            return False
        mention.name, mention.start, mention.end = cand, at, at + len(cand)
        mention.legal_form = bool(vocab.legal_forms().search(cand))
        mention.vendor = vocab.vendor_near(cand)
        return True

    def _category_name(self, body: str) -> str:
        body = re.sub(r"\*\*|__", "", body)  # "**IT-dienstverleners:** Voor hosting": the bold label is the name
        name = re.split(r"\s*[(,:;]|\.$|\s+[–—-]\s+", body.strip(), maxsplit=1)[0].strip().rstrip(".")
        # drop a trailing clause: "Authorities in accordance with our legal obligations" -> "Authorities"
        name = re.split(r"\s+(?:in accordance|in overeenstemming|gemäß|entsprechend|if|indien|wanneer|when|where|"
                        r"wenn|sofern|insofar|voor zover|who|which|that|die|dat|welche)\b", name, maxsplit=1)[0]
        return name.strip()
