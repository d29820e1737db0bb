"""A stage of the extractor. Transfer mechanisms attached to recipients: own sentence, own section, list claims,
blanket claims."""
from __future__ import annotations

import re

from .. import reference
from . import vocab
from .patterns import _GENERIC_MECH, _INVALIDATED, _masked, not_recipient_name
from .draft import Recipient
from .context import Context
from .segment import Sentence


class MechanismStage(Context):
    # -- mechanisms --------------------------------------------------------------------
    def attach_mechanisms(self, recipients: list[Recipient]) -> None:
        lay = self.lay
        by_sentence: dict[int, list[Recipient]] = {}
        for r in recipients:
            for si in r.sentences:
                by_sentence.setdefault(si, []).append(r)
        assigned: dict[int, list[tuple[str, str, Sentence]]] = {}

        def give(r: Recipient, mech: str, source: str, s: Sentence) -> None:
            assigned.setdefault(id(r), []).append((mech, source, s))

        no_transfer = [s for s in lay.sentences if vocab.cue("no_transfer").search(_masked(s.text))]
        for s in no_transfer:
            self.claims.append({"kind": "no_transfer", "mechanism": None, "evidence": s.text, "start": s.start,
                                "end": s.end})
        nt_ids = {s.idx for s in no_transfer}

        # table cells
        for r in recipients:
            for m in r.mentions:
                if m.mechanism:
                    give(r, m.mechanism, "explicit", lay.sentences[m.mechanism_sentence])
        for s in lay.sentences:
            mechs = [x for x in self.mechs(s) if not x[3]]
            if mechs and vocab.cue("safeguard_aim").search(s.text):
                # "passende waarborgen … om een passend beschermingsniveau te garanderen": the level is the aim of
                # safeguards, not an adequacy decision
                mechs = [x for x in mechs if not (x[2] == "adequacy" and not re.search(
                    r"decision|besluit|beschluss", s.text[x[0] - s.start:x[1] - s.start], re.I))]
            if not mechs or s.idx in nt_ids:
                continue
            if s.kind == "row":
                continue
            named = by_sentence.get(s.idx, [])
            if len(named) > 1:
                # in a vendor's own section ("### Mailgun") its mechanism sentence speaks for that vendor, not for
                # another company the sentence also names
                title = (self.headings(s.section) or [""])[0].casefold()
                own = [r for r in named if r.name.casefold() in title
                       or any(m.name.casefold() in title for m in r.mentions if m.sentence == s.idx)]
                if own:
                    named = own
            if named:
                for r in named:
                    best = self._nearest(r, s, mechs)
                    give(r, best, "explicit", s)
                self.claims.append({"kind": "recipient", "mechanism": self._pick([x[2] for x in mechs]),
                                    "evidence": s.text, "start": s.start, "end": s.end,
                                    "recipients": [r.name for r in named]})
                continue
            mech = self._pick([x[2] for x in mechs])
            if self._about_controller(s):
                # "Range Labs Inc. is certified under the Privacy Shield": the controller's own import, no recipient's
                self.claims.append({"kind": "controller", "mechanism": mech, "evidence": s.text, "start": s.start,
                                    "end": s.end, "recipients": []})
                continue
            targets, kind = self._claim_targets(s, recipients, by_sentence)
            example = vocab.cue("example").search(s.text[:max(0, mechs[0][0] - s.start)])
            if kind == "blanket" and (not {x[2] for x in mechs} & _INVALIDATED or (
                    example and len({x[2] for x in mechs}) >= 2)) and (
                    (len({x[2] for x in mechs}) >= 2 and re.search(r"\b(?:or|oder|of|bzw|ou)\b", _masked(s.text)))
                    or vocab.cue("fallback").search(_masked(s.text))
                    or (vocab.cue("conditional").search(s.text) and re.search(r"\b(?:or|oder|of)\b", _masked(s.text)))
                    or (s.kind == "item" and vocab.cue("safeguard_intro").search(self._own_intro(s.block)))):
                # "we rely on an adequacy decision, standard contractual clauses or your consent": alternatives,
                # none of which the notice says applies to a given recipient (a struck-down one among them is
                # still relied on, and stays)
                kind, targets = "alternatives", []
            if kind == "blanket" and vocab.cue("certified_class").search(s.text):
                # "… zu denen die unter dem Privacy-Shield zertifizierten US-Verarbeiter gehören": said of whichever
                # processors are certified, none named: no recipient's mechanism (its own sentence says so or not)
                kind, targets = "class", []
            self.claims.append({"kind": kind, "mechanism": mech, "evidence": s.text, "start": s.start, "end": s.end,
                                "recipients": [r.name for r in targets]})
            for r in targets:
                in_eea = r.region == "EEA" or (r.country and r.country_source != "gazetteer"
                                                and reference.is_eea(r.country))
                abroad = any(loc["country"] and not reference.is_eea(loc["country"]) for loc in r.locations)
                if kind in ("group", "blanket") and in_eea and not abroad and mech not in _INVALIDATED:
                    continue  # "these US processors ...": not the one hosted in Frankfurt
                placed_abroad = abroad or (r.country and r.country_source != "gazetteer" and not reference.is_eea(r.country))
                if kind == "blanket" and not placed_abroad:
                    continue  # a general transfer clause speaks only for recipients the text places outside the EEA
                give(r, mech, kind, s)

        blanket = [c for c in self.claims if c["kind"] == "blanket"]
        for r in recipients:
            got = assigned.get(id(r), [])
            order = {"explicit": 0, "table": 0, "section": 1, "group": 2, "blanket": 3}
            if got:
                best_tier = min(order.get(src, 3) for _, src, _ in got)
                tier = [g for g in got if order.get(g[1], 3) == best_tier]
                mech = self._pick([g[0] for g in tier])
                src, s = next((g[1], g[2]) for g in tier if g[0] == mech)
                r.mechanism, r.mechanism_source = mech, src
                r.mechanism_evidence = {"evidence": s.text, "start": s.start, "end": s.end}
                r.mechanisms = sorted({g[0] for g in got})
            if no_transfer and r.country is None and r.region is None or (
                    no_transfer and r.country_source == "gazetteer"):
                r.region, r.country, r.country_source = "EEA", None, "no-transfer statement"
                s = no_transfer[0]
                r.locations.append({"country": None, "region": "EEA", "source": "no-transfer statement",
                                    "entity": r.name, "evidence": s.text, "start": s.start, "end": s.end})
            if r.mechanism_source == "blanket" and (r.region == "EEA" or (r.country and reference.is_eea(r.country)
                                                                          and r.country_source != "gazetteer")):
                r.mechanism, r.mechanism_source, r.mechanism_evidence = "none", "none", None
                r.mechanisms = [m for m in r.mechanisms if m not in {c["mechanism"] for c in blanket}]

    def _nearest(self, r: Recipient, s: Sentence, mechs) -> str:
        spots = [m.start for m in r.mentions if m.sentence == s.idx]
        if not spots:
            return self._pick([x[2] for x in mechs])
        pos = spots[0]
        after = [x for x in mechs if x[0] >= pos]
        pool = after or mechs
        return self._pick([x[2] for x in pool])

    def _about_controller(self, s: Sentence) -> bool:
        """Whether a sentence that names no recipient states the controller's own certification or mechanism."""
        name = getattr(self, "_controller_name", None)
        subject = re.match(r"\s*(?:we|wij|wir)\b[^.]{0,60}?\b(?:are|is|zijn|sind)\b", s.text, re.I)
        if subject and vocab.cue("certified").search(s.text):
            return True
        if not name or not self._key(name):
            return False
        first = self._key(name).split()[0]
        if any(re.search(r"\b" + re.escape(first) + r"\b", s.text[max(0, a - s.start - 90):a - s.start], re.I)
               for a, _, _, _ in self.mechs(s)):
            return True  # "Range Labs Inc. is certified under the … Privacy Shield", "see Range's Privacy Shield Policy"
        if s.idx > 0 and not s.first:  # "… Privacy Shield / Framework and adheres to its Principles." (a wrapped line)
            prev = self.lay.sentences[s.idx - 1]
            return prev.block == s.block and any(c["kind"] == "controller" and c["start"] == prev.start for c in self.claims)
        return False

    @staticmethod
    def _pick(mechs: list[str]) -> str:
        """Of several mechanisms claimed together: invalidated first (to be flagged), then specific, then generic."""
        return min(mechs, key=lambda m: (0 if m in _INVALIDATED else 2 if m in _GENERIC_MECH else 1, mechs.index(m)))

    def _claim_targets(self, s: Sentence, recipients: list[Recipient], by_sentence) -> tuple[list[Recipient], str]:
        lay = self.lay
        group_ref = vocab.cue("group_ref").search(s.text)
        blk = lay.blocks[s.block]
        # an introduction ending with ':' speaks for its list
        if s.text.rstrip().endswith(":"):
            lists = [g for g in lay.lists if g.intro == blk.idx]
            if lists:
                members = self._recipients_in_blocks(recipients, set(lists[0].items))
                if members:
                    return members, "group"
        if group_ref:
            # the list just before this sentence
            prev = next((b for b in reversed(lay.blocks[:blk.idx]) if b.kind in ("item", "row")
                         and b.section in lay.section_chain(blk.section)), None)
            if prev is not None and prev.list_id is not None:
                members = self._recipients_in_blocks(recipients, set(lay.lists[prev.list_id].items))
                if members:
                    return members, "group"
            earlier = [r for r in recipients if self._first_in_section(r).get(s.section, s.idx) < s.idx]
            if earlier:
                return earlier, "group"
        owner = self._item_of_indented(blk)
        if owner is not None:
            # "* **Google Maps:**" and under it, indented, "**Grundlage Drittlandübermittlung:** DPF": the line belongs
            # to the service of its item, not to the section's other services
            blocks = set(range(owner, blk.idx + 1))
            members = self._recipients_in_blocks(recipients, blocks)
            if members:
                return members, "section"
        if blk.kind == "item" and blk.list_id is not None and lay.lists[blk.list_id].intro is not None:
            # "Some processors are in the US (Postduif, Denkraam). We ensure safeguards via: - SCCs - Privacy Shield":
            # the list speaks for the recipients the sentence before its introduction places abroad
            intro = self.sentence_at(lay.blocks[lay.lists[blk.list_id].intro].end - 1)
            before = lay.sentences[intro.idx - 1] if intro.idx > 0 else None
            named = list(by_sentence.get(before.idx, [])) if before is not None else []
            if before is not None:  # (and names listed above, not read again as mentions there)
                named += [r for r in recipients if r not in named
                          and re.search(r"(?<!\w)" + re.escape(r.name) + r"(?!\w)", before.text)]
            if named and before.section == intro.section and before.kind == "para" \
                    and vocab.cue("transfer").search(before.text.replace("*", "")):
                return named, "group"
        if s.idx > 0 and not s.first:
            prev = lay.sentences[s.idx - 1]
            named = by_sentence.get(prev.idx, [])
            if named and prev.block == s.block and vocab.cue("transfer").search(prev.text + " " + s.text):
                return named, "group"  # "Microsoft and Mailchimp may process data in the US. SCCs apply to that."
        chain = lay.section_chain(s.section)
        here = [r for r in recipients if chain[0] in self._first_in_section(r)]
        heads = " ".join(self.headings(s.section)[:2])
        transfer_section = bool(re.search(r"\b(transfer|doorgifte|overdracht|Übermittlung|Drittl|outside|buiten|"
                                          r"außerhalb|international)", heads, re.I))
        if len(here) == 1 and not transfer_section and s.section != 0:
            return here, "section"
        if len(here) > 1 and not transfer_section and s.section != 0:
            # "### Google Ads Remarketing" naming "Google Ads" too (a settings link): the one the heading is
            title = (lay.sections[chain[0]].title or "").strip(" *_:").casefold()
            titled = [r for r in here if title and any(m.name.casefold() == title for m in r.mentions)]
            if len(titled) == 1:
                return titled, "section"
        if not here and len(chain) > 2:
            # "### Disqus" > "#### Data transfer outside the EU": a vendor's own sub-section speaks for that vendor
            parent = [r for r in recipients if chain[1] in self._first_in_section(r)]
            if len(parent) == 1 and self._section_names_no_other(chain[0]):
                return parent, "section"
        if vocab.cue("transfer").search(s.text) or transfer_section:
            return [r for r in recipients], "blanket"
        return [], "unassigned"

    def _item_of_indented(self, blk) -> int | None:
        """The list item an indented paragraph goes on from (only indented paragraphs between the two), or None."""
        if blk.kind != "para" or blk.indent <= 0:
            return None
        for b in reversed(self.lay.blocks[max(0, blk.idx - 30):blk.idx]):
            if b.section != blk.section:
                return None
            if b.kind == "item":
                return b.idx if b.indent < blk.indent else None
            if b.kind != "para" or b.indent < blk.indent:
                return None
        return None

    def _section_names_no_other(self, section: int) -> bool:
        """Whether a section (a sub-heading's text) names no organisation at all, active or not."""
        return not any(self.lay.sentences[m.sentence].section == section and not (
            m.status == "not_a_recipient" and not_recipient_name(m.name)) for m in self.mentions)  # "Account-Daten" no name

    def _first_in_section(self, r: Recipient) -> dict[int, int]:
        """section -> the first sentence naming ``r`` in it (kept per recipient while mechanisms are placed)."""
        key = (id(r), len(r.sentences))
        if key not in self._sections_cache:
            first: dict[int, int] = {}
            for i in r.sentences:
                sec = self.lay.sentences[i].section
                first[sec] = min(first.get(sec, i), i)
            self._sections_cache[key] = first
        return self._sections_cache[key]

    def _recipients_in_blocks(self, recipients: list[Recipient], blocks: set[int]) -> list[Recipient]:
        out = []
        for r in recipients:
            if any(self.lay.sentences[i].block in blocks for i in r.sentences):
                out.append(r)
        return out
