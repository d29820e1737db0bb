"""What every stage of the extractor reads: the document, its layout, sentences, lists and headings."""
from __future__ import annotations

import bisect
import re
from functools import lru_cache

from . import vocab
from .patterns import _sentence_mechanisms, detect_language, link_text_view
from .draft import Mention
from .document import Document
from .segment import Sentence, segment


class Context:
    """The document being read and what the stages found so far (mentions, claims)."""

    def __init__(self, doc: Document):
        self.doc = doc
        self.text = doc.text
        self.lay = segment(doc.text)
        self.sent_starts = [s.start for s in self.lay.sentences]
        self.language = detect_language(doc.text)
        self.mentions: list[Mention] = []
        self.claims: list[dict] = []
        self._mech_cache: dict[int, list] = {}
        self._sections_cache: dict[tuple[int, int], dict[int, int]] = {}
        self._view: str | None = None

    # -- small lookups ------------------------------------------------------
    def _link_view(self) -> str:
        """The text with Markdown link syntax and URLs blanked, offsets unchanged (:func:`.patterns.link_text_view`)."""
        if self._view is None:
            self._view = link_text_view(self.text)
        return self._view

    def sentence_at(self, pos: int) -> Sentence:
        i = max(0, bisect.bisect_right(self.sent_starts, pos) - 1)
        return self.lay.sentences[i]

    def mechs(self, s: Sentence) -> list[tuple[int, int, str, bool]]:
        if s.idx not in self._mech_cache:
            self._mech_cache[s.idx] = [(s.start + a, s.start + b, m, h) for a, b, m, h in _sentence_mechanisms(s.text)]
        return self._mech_cache[s.idx]

    def block_text(self, block: int) -> str:
        b = self.lay.blocks[block]
        return self.text[b.start:b.end]

    def list_intro_text(self, block: int) -> str:
        blk = self.lay.blocks[block]
        if blk.list_id is None:
            return ""
        group = self.lay.lists[blk.list_id]
        texts = []
        if group.intro is not None:
            texts.append(self.block_text(group.intro))
            parent = self.lay.blocks[group.intro]
            if parent.list_id is not None and self.lay.lists[parent.list_id].intro is not None:
                texts.append(self.block_text(self.lay.lists[parent.list_id].intro))
        elif group.parent_item is not None:  # a nested list under an item without ':' ("- Weitergabe: …")
            texts.append(self.block_text(group.parent_item))
        return " ".join(texts)

    def headings(self, section: int) -> list[str]:
        return [self.lay.sections[s].title for s in self.lay.section_chain(section) if self.lay.sections[s].title]

    def recipient_list(self, block: int) -> bool:
        """Whether a list item sits in a list that names recipients (not purposes, cases or data)."""
        intro = self.list_intro_text(block)
        own_intro = self._own_intro(block)
        if own_intro and (vocab.cue("not_recipient_intro").search(own_intro) or vocab.cue("safeguard_intro").search(own_intro)):
            return False  # "… insbesondere für Zwecke:", "… only in these cases:"
        blk = self.lay.blocks[block]
        heads = self.headings(blk.section)
        if heads and vocab.cue("not_recipient_heading").search(heads[0]):
            return False  # "Out-of-scope tools (not subprocessors)", "Credits", whatever the list's introduction
        if intro and vocab.cue("share_intro").search(intro):
            return True
        if heads and self._heading_field(heads[0]) in ("purpose", "legal_basis", "categories", "retention", "rights"):
            return False  # "Purposes based on our or third parties' legitimate interests" is about purposes
        if blk.list_id is not None and self._vendor_link_list(blk.list_id):
            return True  # "- [Stripe](https://stripe.com), payments" under any heading ("Web Beacons")
        return bool(heads) and bool(vocab.cue("recipient_heading").search(heads[0]))

    def _vendor_link_list(self, list_id: int) -> bool:
        """A list whose items open with brand links (the link text names the linked site: "[Postmark](https://
        postmarkapp.com)"), at least one of them a gazetteer vendor: a list of vendors whatever its heading."""
        cache = self.__dict__.setdefault("_vendor_link_lists", {})
        if list_id not in cache:
            items = self.lay.lists[list_id].items
            brands, known = 0, False
            for b in items:
                m = re.match(r"\s*\[([^\]]{2,60})\]\((?:https?://)?(?:www\.)?([^/)\s]+)", self.block_text(b))
                if not m:
                    continue
                words = [w for w in re.findall(r"[a-z0-9]{3,}", m.group(1).casefold())]
                host = m.group(2).casefold()
                if words and any(w in host for w in words):
                    brands += 1
                    known = known or vocab.vendor_near(m.group(1)) is not None
            cache[list_id] = len(items) >= 2 and known and brands * 3 >= len(items) * 2
        return cache[list_id]

    def _own_intro(self, block: int) -> str:
        blk = self.lay.blocks[block]
        if blk.list_id is None or self.lay.lists[blk.list_id].intro is None:
            return ""
        return self.block_text(self.lay.lists[blk.list_id].intro)

    @staticmethod
    @lru_cache(maxsize=4096)
    def _heading_field(title: str) -> str | None:
        return next((f for f, p in vocab.heading_fields() if p.search(title)), None)

