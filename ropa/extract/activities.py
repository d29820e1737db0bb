"""A stage of the extractor. Activities per section: purpose, legal basis, data categories, data subjects,
retention, recipients."""
from __future__ import annotations

import re
from functools import lru_cache

from . import vocab
from .patterns import _country_pattern
from .draft import Recipient, Activity
from .context import Context
from .segment import Sentence


class ActivityStage(Context):
    # -- activities -------------------------------------------------------------------------
    def activities(self, recipients: list[Recipient]) -> list[Activity]:
        lay = self.lay
        fields = vocab.heading_fields()

        seen_titles: dict[str, str | None] = {}

        def field_of(title: str) -> str | None:
            if title not in seen_titles:
                seen_titles[title] = next((f for f, p in fields if p.search(title)), None)
            return seen_titles[title]

        # a section's activity: itself, unless its heading names a field (then its parent's)
        owner: dict[int, int | None] = {}
        general: set[int] = set()
        for sec in lay.sections:
            f = field_of(sec.title) if sec.title else "general"
            if sec.parent in general and sec.parent != 0:
                f = "rights"   # the rights listed under "Your rights" describe no activity either
            if f == "rights":
                general.add(sec.idx)
                f = "general"
            if sec.idx and f is None and sec.parent and self._only_places(sec.title):
                f = "place"    # "8.1 Frankfurt" under "Where are your data stored?"
            if sec.idx == 0:
                owner[0] = None
            elif f == "place":
                owner[sec.idx] = owner.get(sec.parent) if owner.get(sec.parent) is not None else sec.idx
            elif f in ("purpose", "legal_basis", "categories", "retention", "objection", "recipients", "transfer"):
                parent = sec.parent if sec.parent is not None else 0
                owner[sec.idx] = owner.get(parent, None) if parent else -1
                if parent and owner.get(parent) is None and lay.sections[parent].title:
                    owner[sec.idx] = -1
            elif f == "general":
                owner[sec.idx] = None
            else:
                owner[sec.idx] = sec.idx
        groups: dict[int, list[int]] = {}
        for sec_idx, own in owner.items():
            if own is not None:
                groups.setdefault(own, []).append(sec_idx)
        rec_by_sentence: dict[int, list[Recipient]] = {}
        for r in recipients:
            for si in r.sentences:
                rec_by_sentence.setdefault(si, []).append(r)
        by_section: dict[int, list[Sentence]] = {}
        for s in lay.sentences:
            if s.kind != "heading":
                by_section.setdefault(s.section, []).append(s)
        out = []
        for own, secs in sorted(groups.items(), key=lambda kv: (kv[0] == -1, kv[0])):
            sents = sorted((s for sec in secs for s in by_section.get(sec, [])), key=lambda s: s.idx)
            if not sents:
                continue
            body = " ".join(s.text for s in sents)
            bases = self._legal_bases(body)
            recips = []
            for s in sents:
                for r in rec_by_sentence.get(s.idx, []):
                    if r.name not in recips:
                        recips.append(r.name)
            retention = self._retention(sents)
            if own == -1:
                name = "General processing described in the notice"
            else:
                name = lay.sections[own].title.strip().rstrip(":")
                name = name[:1].upper() + name[1:]
            if not (bases or recips or retention) and own == -1:
                continue
            if not (bases or recips or retention):
                continue
            purpose = self._purpose(sents, secs, field_of)
            cats = self._data_categories(sents)
            subjects = self._data_subjects(" ".join([body] + [lay.sections[x].title for x in secs]))
            first = sents[0]
            out.append(Activity(name=name, purpose=purpose, legal_basis=bases, data_categories=cats,
                                data_subjects=subjects, retention=retention, recipients=recips,
                                evidence=first.text, start=first.start, end=first.end, sections=secs))
        # recipients named outside every activity go to a general one
        placed = {n for a in out for n in a.recipients}
        loose = [r.name for r in recipients if r.name not in placed]
        if loose:
            general = next((a for a in out if a.name.startswith("General processing")), None)
            if general is None:
                first = recipients[0]
                general = Activity(name="General processing described in the notice", purpose=None, legal_basis=[],
                                   data_categories=[], data_subjects=[], retention=None, recipients=[],
                                   evidence=first.evidence, start=first.start, end=first.end)
                out.append(general)
            general.recipients.extend(loose)
        return out

    @staticmethod
    @lru_cache(maxsize=4096)
    def _only_places(title: str) -> bool:
        """Whether a heading is nothing but place names ("Falkenstein / Nuremberg")."""
        rest = _country_pattern()[0].sub(" ", title)
        rest = vocab.places()[0].sub(" ", rest)
        return rest != title and not re.sub(r"[\W\d_]|\b(and|en|und|or|of|oder)\b", "", rest, flags=re.I).strip()

    @staticmethod
    def _retention(sents: list[Sentence]) -> str | None:
        """The sentence that best states a retention period: a duration first, then 'as long as'-style."""
        cue = vocab.cue("retention")
        duration = re.compile(r"\b\d+\s*(?:days?|weeks?|months?|years?|dagen|weken|maanden|maand|jaar|jaren|Tage[n]?|"
                              r"Wochen|Monate[n]?|Jahre[n]?|minut\w*|hours?|uur|Stunden)\b|\b(?:one|two|three|six|twelve|"
                              r"een|twee|drie|zes|ein\w*|zwei|drei|sechs|zehn)\s+(?:days?|weeks?|months?|years?|dagen|"
                              r"weken|maanden|jaar|jaren|Tage|Wochen|Monate|Jahre)\b", re.I)
        until = re.compile(r"as long as|zolang|solange|until|totdat|\bbis\b", re.I)
        once = re.compile(r"sobald|zodra|as soon as", re.I)
        strong = [s for s in sents if cue.search(s.text) and duration.search(s.text)]
        if strong:
            return strong[0].text
        deletion = re.compile(r"verwijder|gewist|wissen|delet|erase|gelöscht|lösch|retain|retention|"
                              r"aufbewahr|Speicherdauer", re.I)
        soft = [s for s in sents if cue.search(s.text) and (until.search(s.text) or
                                                             (once.search(s.text) and deletion.search(s.text)))]
        return soft[0].text if soft else None

    @staticmethod
    def _legal_bases(body: str) -> list[str]:
        letters = []
        for m in re.finditer(r"\b(?:Art(?:ikel|icle|\.)?\s*)?6\s*(?:\(1\)|,?\s*(?:lid|Abs\.?|para(?:graph)?\.?)\s*1|\s+I)"
                             r"\s*,?\s*(?:(?:onder|lit\.?|letter|sub|point|punt|blz\.\s*1,\s*onder)\s*)?\(?([a-f])\b",
                             body, re.I):
            letters.append(m.group(1).lower())
        if vocab.legal_basis_prefilter().search(body):
            for letter, pattern in vocab.legal_bases():
                if pattern.search(body):
                    letters.append(letter)
        labels = {"a": "consent", "b": "contract", "c": "legal obligation", "d": "vital interests",
                  "e": "public task", "f": "legitimate interests"}
        seen = []
        for letter in letters:
            if letter not in seen:
                seen.append(letter)
        return [f"Art. 6(1)({x}) {labels[x]}" for x in sorted(seen)]

    def _purpose(self, sents: list[Sentence], secs: list[int], field_of) -> str | None:
        for s in sents:
            sec = self.lay.sections[s.section]
            if sec.title and field_of(sec.title) == "purpose":
                return s.text
        cue = vocab.cue("purpose")
        for s in sents:
            if cue.search(s.text) and len(s.text) < 400:
                return s.text
        return None

    def _data_categories(self, sents: list[Sentence]) -> list[str]:
        pattern, mapping = vocab.data_categories()
        found: list[str] = []
        for s in sents:
            for m in pattern.finditer(s.text):
                cat = mapping[m.group(0).casefold()]
                if cat not in found:
                    found.append(cat)
        return found

    @staticmethod
    def _data_subjects(body: str) -> list[str]:
        pattern, mapping = vocab.data_subjects()
        found: list[str] = []
        for m in pattern.finditer(body):
            subj = mapping[m.group(0).casefold()]
            if subj not in found:
                found.append(subj)
        return found
