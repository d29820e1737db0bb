"""A stage of the extractor. Vendors named only in prose or link text, with no legal form and perhaps not in
the gazetteer: "We have selected Acme to run our shop front", "X gebruikt Formstack om …", "wird durch
[giscus](…) ermöglicht", "een automatiseringsdienst (Make)", "hosting partners, such as Amazon".

The wording around a name is data (``data/extract/service_phrases.csv``); what counts as a name is structure,
here: a run of capitalised words (or one lower-case word) after that wording, several joined by commas or
"and". A name found this way is kept only with evidence that it is a brand: the gazetteer knows it (case
and ``.io`` aside), the notice links a domain of that name, a heading names it, it is written like a brand
(CamelCase, a digit, a dot), or, in English and Dutch, where common nouns are lower-case, it is capitalised.
German capitalises every noun, so there a capitalised word alone is no evidence.
"""
from __future__ import annotations

import re

from .. import reference
from . import vocab
from .context import Context
from .draft import Mention
from .patterns import _places_in
from .segment import ABBREVIATIONS

_TOKEN = re.compile(r"[\w][\w&+'’-]*(?:\.(?=\w)[\w&+'’-]+)*")
_LEAD = re.compile(r"[ \t*_\"“„‘'`]*(?:(?:the|de|het|die|der|den|das|dem)\s+)?", re.I)
_JOIN = re.compile(r"[*_\"”“'`]*(?:\s*,\s*(?:and\s+|und\s+|en\s+|or\s+|oder\s+|of\s+)?|\s+(?:and|und|en|or|oder|of)\s+)",
                   re.I)
_ARTICLE = re.compile(r"\b(?:the|de|het|die|der|den|das|dem|des)\b", re.I)
_REF_DEFINITION = re.compile(r"^[ \t]{0,3}\[[^\]\n]{1,80}\]:[ \t]*\S+.*$", re.M)
_LINK_TARGET = re.compile(r"(?<=\])\([^)\s]*\)|\bhref\s*=\s*(?:\"[^\"]*\"|'[^']*')", re.I)
_HOST = re.compile(r"(?<![\w.-])(?:https?://)?(?:www\.)?((?:[a-z0-9-]+\.)+)(?:[a-z]{2,6})\b", re.I)
_MAIL_HOST = re.compile(r"[\w.+-]{1,64}@(?:[\w-]{1,63}\.)*?([\w-]{1,63})\.[a-z]{2,6}\b", re.I)
# how brands name their sites: "usefathom.com", "getsentry.com", "giscus.app", "stamphq.com"
_SITE_AFFIXES = (("", ""), ("use", ""), ("get", ""), ("try", ""), ("", "app"), ("", "hq"), ("", "io"))
_MAX_NAMES = 8


def visible_text(text: str) -> str:
    """``text`` without what a reader does not see: Markdown link targets and reference definitions, HTML hrefs.
    Evidence read from it is the same whatever the format of the notice."""
    return _LINK_TARGET.sub(" ", _REF_DEFINITION.sub(" ", text))


def domain_labels(text: str) -> frozenset[str]:
    """The labels of the host names the text writes out, without the top-level domain ("giscus.app" -> "giscus")."""
    return frozenset(label.casefold() for m in _HOST.finditer(text) for label in m.group(1).split(".")
                     if label and label.casefold() != "www")


def mail_labels(text: str) -> frozenset[str]:
    """The names of the domains of the e-mail addresses in the text: the notice's own ("privacy@acme.io" -> "acme")."""
    return frozenset(m.group(1).casefold() for m in _MAIL_HOST.finditer(text))


class ProseStage(Context):
    def _prose_mentions(self, add) -> None:
        text = self.text
        phrases = vocab.service_phrases()
        view = self._link_view()
        domains = domain_labels(visible_text(text))
        own = mail_labels(text)
        headings = [t for t in (s.title for s in self.lay.sections) if t and len(t.split()) <= 5]
        self._evidence = domains, headings  # read again by _co_listed
        found = [(kind, a, b, art) for kind, before, after in phrases
                 for a, b, art in self._phrase_names(view, before, after)]
        # "the privacy policy of supabase": a name with a policy of its own (no article between: "… of the provider")
        with_policy = {text[a:b].casefold() for kind, a, b, art in found if kind == "policy" and not art}
        judged: dict[str, tuple[str | None, bool]] = {}  # a long notice names the same vendors again and again
        # "het script van Analytics" after "Google Analytics": a short form of a service already named
        tails = {m.name.split()[-1].casefold() for m in self.mentions if m.vendor and len(m.name.split()) > 1}
        for kind, a, b, art in found:
            name = text[a:b]
            if art and not self._named_site(name, domains):
                continue  # "hosted on the Server": after an article only a name whose site the notice shows
            if name not in judged:
                vendor = vocab.vendor_near(name)
                judged[name] = vendor, vendor is not None or (
                    re.sub(r"\W", "", name.casefold()) not in own  # the notice's own name
                    and (name.casefold() in with_policy or self._brand_evidence(name, domains, headings)))
            vendor, keep = judged[name]
            if not keep or (vendor is None and name.casefold() in tails):
                continue
            s = self.sentence_at(a)
            add(Mention(name, a, b, s.idx, "prose", vendor=vendor, legal_form=bool(vocab.legal_forms().search(name))))

    def _co_listed(self, add) -> None:
        """"Het verspreiden van nieuwsbrieven: Resend, Facebook en Hotmail": after a label, a name listed beside a
        vendor the gazetteer knows is a vendor too (with evidence that it is a brand, as for any name in prose)."""
        view, text = self._link_view(), self.text
        domains, headings = self._evidence
        done: set[int] = set()
        for m in list(self.mentions):
            if m.via != "gazetteer" or m.status != "active" or m.sentence in done:
                continue
            done.add(m.sentence)
            s = self.lay.sentences[m.sentence]
            colon = view.rfind(":", s.start, m.start)
            if colon < 0 or colon - s.start > 100 or ":" in view[colon + 1:m.start] or m.legal_form \
                    or re.search(r"\d", view[colon + 1:s.end]):
                continue  # (a legal entity and its address: "Intercom R&D Unlimited Company, 2nd Floor, Block D")
            names = self._names_from(view, colon + 1)
            if len(names) < 2 or not any(a <= m.start < b for a, b in names) \
                    or view[names[-1][1]:s.end].strip(" .;*_\n"):
                continue  # the names run from the label to the sentence's end, the known vendor among them
            for a, b in names:
                name = text[a:b]
                if any(x.start < b and a < x.end for x in self.mentions) or not name[:1].isupper():
                    continue
                if vocab.vendor_near(name) is not None or self._brand_evidence(name, domains, headings):
                    add(Mention(name, a, b, s.idx, "prose", vendor=vocab.vendor_near(name),
                                legal_form=bool(vocab.legal_forms().search(name))))

    @staticmethod
    def _named_site(name: str, domains: frozenset[str]) -> bool:
        """A name of two or more capitalised words one of which (or all, joined) names a site the notice shows:
        "the Internet Archive: archive.org"."""
        words = name.split()
        if len(words) < 2 or not all(w[:1].isupper() for w in words):
            return False
        keys = {re.sub(r"\W", "", name.casefold())} | {re.sub(r"\W", "", w.casefold()) for w in words}
        return any(len(k) >= 4 and f"{a}{k}{b}" in domains for k in keys for a, b in _SITE_AFFIXES)

    def _phrase_names(self, view: str, before: re.Pattern, after: re.Pattern | None) -> list[tuple[int, int, bool]]:
        out = []
        # wording after the names ("… is used to"): only sentences that have it are read (a phrase that opens with
        # the names would otherwise start at every sentence)
        starts = before.finditer(view)
        if after is not None and before.fullmatch("") is not None:
            # searched without its leading spaces and emphasis marks, which would make it start everywhere
            probe = re.compile(re.sub(r"^(?:\\s[*+]|\[\*_\][*+])+", "", after.pattern), after.flags)
            hits = sorted({self.sentence_at(x.start()).idx for x in probe.finditer(view)})
            sents = self.lay.sentences
            starts = (m for i in hits for m in before.finditer(view, sents[i].start, sents[i].end))
        for m in starts:
            here = self.sentence_at(m.start()).idx
            names = self._names_from(view, m.end())
            names = [(a, b, bool(_ARTICLE.search(view, m.end(), a))) for a, b in names
                     if self.sentence_at(a).idx == here]  # never past a sentence end
            # "van tijd tot tijd", "from time to time", "Schritt für Schritt": an idiom, no name
            names = [(a, b, art) for a, b, art in names
                     if not re.match(rf"\s+(?:tot|to|zu|bis|voor|for|für|na|after|nach)\s+{re.escape(view[a:b])}\b", view[b:b + 60], re.I)]
            if after is not None:
                if names and not after.match(view, names[0][1]) and after.match(view, names[-1][1]) \
                        and len(view[names[0][0]:names[-1][1]].split()) <= 4 \
                        and not all(vocab.vendor_near(view[a:b]) for a, b, _ in names):
                    # "een derde partij (Kind en Gezin)": the bracket holds one name with "en" in it, not a list
                    names = [(names[0][0], names[-1][1], names[0][2])]
                names = names[:1] if names and after.match(view, names[0][1]) else []
            out += names
        return out

    def _names_from(self, view: str, pos: int) -> list[tuple[int, int]]:
        """Spans of the names that start at ``pos``: "Jekyll, Crisp, Formspree and CloudCannon" gives four."""
        stops = set().union(*vocab.stopwords().values())
        out: list[tuple[int, int]] = []
        while len(out) < _MAX_NAMES:
            pos = _LEAD.match(view, pos).end()
            start = end = pos
            count = 0
            while count < 4:
                t = _TOKEN.match(view, end if count == 0 else end + 1)
                if t is None or (count and view[end] != " "):
                    break
                word = t.group(0)
                lower = not (word[0].isupper() or word[0].isdigit())
                if word.casefold() in stops or (lower and count) or vocab.cue("pronoun").fullmatch(word):
                    break
                end = t.end()
                count += 1
                if lower:
                    break  # one lower-case word, as brands write themselves ("plausible", "giscus")
            if not count:
                break
            out.append((start, end))
            if vocab.legal_forms().search(view[start:end]) or re.match(r"\s*,\s*\d", view[end:end + 8]):
                break  # "Acme Ltd, 1 Main Street, Dublin": what follows a legal entity's name is its address
            j = _JOIN.match(view, end)
            if j is None or j.end() == end:
                break
            pos = j.end()
        return out

    def _brand_evidence(self, name: str, domains: frozenset[str], headings: list[str]) -> bool:
        low = name.casefold()
        if vocab.cue("not_a_name").fullmatch(name) or vocab.data_categories()[0].fullmatch(name) \
                or low.rstrip(".") in ABBREVIATIONS:  # "z.B", "e.g": an abbreviation, no name
            return False
        for key in {re.sub(r"\W", "", low), re.sub(r"\W", "", low.split()[0])}:
            if len(key) >= 4 and any(f"{a}{key}{b}" in domains for a, b in _SITE_AFFIXES):
                return True
        # a heading naming it, as written ("Third Parties" names no "third"); a lower-case word needs a site
        word = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)")
        if not name[0].islower() and any(word.search(h) and not (self.language == "de" and re.search(
                r"\b(?:und|oder|sowie)\b", h)) for h in headings):
            return True  # (German capitalises nouns: "Blogs und Publikationsmedien" is a heading of common nouns)
        if re.search(r"\s\d+\w?$", name) or _places_in(name, 0, len(name), [], self.language) or reference.resolve_country(name):
            return False  # "Dublin 4", "Ireland": a place, not a vendor
        if re.fullmatch(r"[^\W\d_]+(?:-[^\W\d_]+)*-[a-zäöüß]{3,}", name):
            return False  # "AI-taalmodellen", "E-mailproviders": a compound ending in a common noun, no brand
        if re.search(r"[a-z][A-Z]|[A-Za-z]\d|\d[A-Za-z]|\w\.\w", name):
            return True
        return name[0].isupper() and self.language != "de"
