"""A stage of the extractor. A place for each mention: a country or city in its sentence, legal name, list intro,
table cell or heading."""
from __future__ import annotations

import re

from . import vocab
from .patterns import _places_in
from .draft import Mention
from .context import Context


class PlaceStage(Context):
    # -- places -------------------------------------------------------------------
    def locate(self) -> None:
        lay, text = self.lay, self.text
        active = [m for m in self.mentions if m.status == "active"]
        by_sentence: dict[int, list[Mention]] = {}
        for m in active:
            by_sentence.setdefault(m.sentence, []).append(m)
        for sidx, ms in by_sentence.items():
            s = lay.sentences[sidx]
            skip = [(a, b) for a, b, _, _ in self.mechs(s)]
            eu = vocab.cue("eu_users")
            skip += [(s.start + e.start(), s.start + e.end()) for e in eu.finditer(s.text)]
            names = [(m.start, m.end) for m in ms]
            places = _places_in(text, s.start, s.end, skip + names, self.language)
            for k, m in enumerate(sorted(ms, key=lambda x: x.start)):
                if m.country or m.region:
                    continue
                nxt = min([x.start for x in ms if x.start > m.start] + [s.end])
                prv = max([x.end for x in ms if x.end <= m.start] + [s.start])
                after = [p for p in places if m.end <= p[0] < nxt]
                before = [p for p in places if prv <= p[0] < m.start]
                eu_before = eu.search(text[prv:m.start])
                if eu_before:
                    m.eu_entity = True
                if re.search(r"\b(Ireland|Ierland|Irland|Europe|EMEA|Deutschland|Nederland)\b", m.name):
                    m.eu_entity = True
                if not after and nxt < s.end and re.fullmatch(r"\s*(,|and|en|und|or|of|oder|&)\s*", text[m.end:nxt]):
                    # "Microsoft and Mailchimp may process data in the United States": both are placed there
                    chain_end = nxt
                    for x in sorted(ms, key=lambda x: x.start):
                        if x.start >= nxt and re.fullmatch(r"\s*(,|and|en|und|or|of|oder|&)?\s*", text[chain_end:x.start]):
                            chain_end = x.end
                    nxt2 = min([x.start for x in ms if x.start > chain_end] + [s.end])
                    after = [p for p in places if chain_end <= p[0] < nxt2]
                if len(after) > 1 and not after[0][2] and after[1][2] \
                        and re.fullmatch(r"\s*\(\s*", text[after[0][1]:after[1][0]]):
                    after = after[1:]  # "gehost in de EU (Frankfurt)": the city in brackets says where in the EU
                pick = after[0] if after else (before[-1] if before else None)
                if m.via == "table" and pick:
                    # a table's name cell with the address ("Acme LLC, 1 Main St, Boston MA 02111, USA") places
                    # its row before any other cell does ("Migration zu einem Anbieter in der EU" is a plan)
                    inside = [p for p in _places_in(text, m.start, m.end, [], self.language) if p[2]]
                    if inside:
                        m.country, m.country_source, m.place_evidence = inside[-1][2], "address", sidx
                        continue
                if pick:
                    m.country, m.region = pick[2], pick[3]
                    m.country_source = "text" if pick[4] in ("country", "region") else "address"
                    m.place_evidence = sidx
                    continue
                if m.via == "heading" and self._field_place(m, sidx):
                    continue
                inside = _places_in(text, m.start, m.end, [], self.language)
                if inside and inside[0][2]:
                    m.country, m.country_source, m.place_evidence = inside[0][2], "entity name", sidx
                    continue
                blk = lay.blocks[s.block]
                if blk.kind in ("item", "row") and blk.list_id is not None:
                    group = lay.lists[blk.list_id]
                    intro_blocks = [group.intro] if group.intro is not None else []
                    if intro_blocks and lay.blocks[intro_blocks[0]].list_id is not None:
                        pg = lay.lists[lay.blocks[intro_blocks[0]].list_id]
                        if pg.intro is not None:
                            intro_blocks.append(pg.intro)
                    for ib in intro_blocks:
                        b = lay.blocks[ib]
                        pl = [p for p in _places_in(text, b.start, b.end, [], self.language) if p[2] or p[3]]
                        if pl:
                            m.country, m.region, m.country_source = pl[0][2], pl[0][3], "list introduction"
                            m.place_evidence = lay.sentences_of_block(ib)[0].idx
                            break
                    if m.country or m.region:
                        continue
                sec = lay.sections[s.section]
                if sec.heading_block is not None and len(sec.title) <= 40:
                    hb = lay.blocks[sec.heading_block]
                    pl = [p for p in _places_in(text, hb.start, hb.end, [], self.language) if p[2]]
                    if pl:
                        m.country, m.country_source = pl[0][2], "section heading"
                        m.place_evidence = lay.sentences_of_block(hb.idx)[0].idx
                if m.country or m.region:
                    continue
                every = self._all_located()
                if every and blk.kind in ("item", "row"):
                    m.country, m.country_source, m.place_evidence = every[0], "statement about all recipients", every[1]

    def _field_place(self, m: Mention, sidx: int) -> bool:
        """A vendor heading's place from the labelled fields of its section: "Data Processing Location: Belgium"
        first, else the "Legal Address: …" country."""
        blocks, field = self.lay.blocks, vocab.cue("vendor_field")
        hb = self.lay.blocks[self.lay.sentences[sidx].block]
        found = []
        for b in blocks[hb.idx + 1:hb.idx + 15]:
            if b.kind == "heading":
                break
            label = field.search(re.sub(r"[*_]", " ", self.text[b.start:b.end]))
            if not label:
                continue
            pl = [p for p in _places_in(self.text, b.start, b.end, [], self.language) if p[2]]
            if pl:
                where = bool(re.search(r"locat|Standort", label.group(0), re.I))
                found.append((not where, pl[0][2], b.idx))
        if not found:
            return False
        _, m.country, b = min(found)
        m.country_source, m.place_evidence = "text", self.lay.sentences_of_block(b)[0].idx
        return True

    def _all_located(self) -> tuple[str, int] | None:
        """"These subprocessors are all headquartered in the United States": the country of every listed recipient
        the text places nowhere else (cue kind ``all_located``)."""
        if "_every" not in self.__dict__:
            self._every = None
            cue = vocab.cue("all_located")
            for s in self.lay.sentences:
                c = cue.search(s.text)
                if not c:
                    continue
                pl = [p for p in _places_in(self.text, s.start + c.end(), s.end, [], self.language) if p[2]]
                if pl:
                    self._every = (pl[0][2], s.idx)
                    break
        return self._every
