"""Stage of the extractor: Mentions grouped into recipients; recipient categories; who engaged whom."""
from __future__ import annotations

import re

from .. import reference
from . import vocab
from .patterns import _ROLE_ORDER, _SOURCE_COMMENT, not_recipient_name
from .draft import Mention, Recipient
from .context import Context


class GroupingStage(Context):
    # -- recipients ------------------------------------------------------------------
    def cluster(self) -> list[list[Mention]]:
        vendor_names = {v.id: v.name for v in vocab.vendors()[0]}
        clusters: dict[str, list[Mention]] = {}
        order: list[str] = []
        brand_of = {}
        own_brand: dict[int, str] = {}  # a gazetteer company that runs another's service: this mention only
        for m in self.mentions:
            if m.status != "active":
                continue
            if m.entity_of and m.vendor:
                prev = [x for x in self.mentions if x.status == "active" and x.name == m.entity_of and x.start < m.start]
                if prev:
                    own_brand[id(m)] = prev[-1].key
            elif m.entity_of:
                brand_of[m.key] = self._key(m.entity_of)
        # the provider's other names in that same bullet ("Facebook" in the Instagram bullet whose provider is Meta
        # Platforms Ireland Limited) speak of the same service
        provider_block = {(self.lay.sentences[m.sentence].block, m.vendor): own_brand[id(m)]
                          for m in self.mentions if id(m) in own_brand
                          and self.lay.sentences[m.sentence].kind == "item"}
        for m in self.mentions:
            if m.status == "active" and m.vendor and id(m) not in own_brand:
                k = provider_block.get((self.lay.sentences[m.sentence].block, m.vendor))
                if k is not None:
                    own_brand[id(m)] = k
        # each row of a table is its own recipient, even where the gazetteer files two rows under one vendor
        # ("Slack" and "Salesforce", "Google Analytics" and "Google Cloud"); other names inside a row join it
        row_key: dict[int, str] = {}
        for m in self.mentions:
            if m.status == "active" and m.via == "table" and m.vendor:
                row_key[self.lay.sentences[m.sentence].block] = f"{m.key}/{self._key(m.name)}"
        # a vendor's own section or sentence outside the table joins its row when one row only is that vendor
        # ("### GitHub" under a table with a GitHub row); two rows of one vendor stay apart and take nothing
        rows_of: dict[str, set[str]] = {}
        row_text = {rk: self.block_text(b).casefold() for b, rk in row_key.items()}
        for rk in row_key.values():
            rows_of.setdefault(rk.split("/")[0], set()).add(rk)
        for m in sorted((m for m in self.mentions if m.status == "active"), key=lambda m: m.start):
            key = own_brand.get(id(m)) or brand_of.get(m.key, m.key)
            block = self.lay.sentences[m.sentence].block
            if block in row_key and (m.via == "table" or m.vendor):
                key = row_key[block]
            elif m.vendor and len(rows_of.get(m.key, ())) == 1:
                key = next(iter(rows_of[m.key]))
            elif m.vendor and ":" in m.key and len(rows_of.get(m.vendor, ())) == 1 \
                    and m.name.casefold() in row_text.get(next(iter(rows_of[m.vendor])), ""):
                key = next(iter(rows_of[m.vendor]))  # "G Suite" where the Google row's purpose cell says "G Suite"
            if not key:
                continue
            if m.via == "table" and m.legal_form and not m.vendor and key in clusters and any(
                    x.via == "table" and x.legal_form and re.findall(r"\w+", x.name.casefold())
                    != re.findall(r"\w+", m.name.casefold()) for x in clusters[key]):
                # rows naming two legal entities of one name ("mParticle Limited" in the UK, "mParticle PTY LTD" in
                # Australia): two recipients
                key = " ".join(re.findall(r"\w+", m.name.casefold()))
            target = None
            for k in order:
                if k == key:
                    target = k
                    break
                if not m.vendor and not clusters[k][0].vendor:
                    if m.via == "table" and m.legal_form and any(
                            x.via == "table" and x.legal_form and self.lay.sentences[x.sentence].block != block
                            for x in clusters[k]):
                        continue  # two rows, two legal entities ("Acme AB", "Acme Czech s.r.o."): two recipients
                    kt, mt = k.split(), key.split()
                    if (kt[:len(mt)] == mt or mt[:len(kt)] == kt) and min(len(kt), len(mt)) >= 1:
                        target = k
                        break
            if target is None and not m.vendor:
                # "Digital Ocean LLC" and gazetteer "DigitalOcean"; "Crazy Inc." and gazetteer "Crazy Egg"
                flat = key.replace(" ", "")
                for k in order:
                    first = clusters[k][0]
                    if not first.vendor:
                        continue
                    vkey = self._key(vendor_names.get(first.vendor, ""))
                    if flat == vkey.replace(" ", "") or vkey.split()[:len(key.split())] == key.split():
                        target = k
                        break
            if target is None:
                target = key
                order.append(key)
                clusters[key] = []
            clusters[target].append(m)
        # the company alone ("Google", "Google Ireland Limited") where products of it are named: it joins the
        # product named nearest before it (else the first after it), so no extra recipient is made of it
        self._join_products(clusters, order)
        removed_sections = {}
        for m in self.mentions:
            if m.status == "removed":
                removed_sections.setdefault(m.vendor or m.key, set()).add(self.lay.sentences[m.sentence].section)
        out = []
        for k in order:
            ms = clusters[k]
            gone = removed_sections.get(ms[0].vendor or k)
            if gone and all(self.lay.sentences[m.sentence].section in gone for m in ms):
                for m in ms:
                    m.status, m.reason = "removed", "its section says it is removed / no longer used"
                continue
            if all(m.weak for m in ms):
                for m in ms:
                    m.status, m.reason = "not_a_recipient", "a company named without any service or disclosure"
                continue
            out.append(ms)
        return out

    def _join_products(self, clusters: dict[str, list[Mention]], order: list[str]) -> None:
        """Products of one vendor ("google:analytics", "google:fonts") are separate recipients when the notice
        treats each in a section of its own. Products whose home section (where most of their mentions are) is
        the same are one recipient; the company named alone ("Google", "Google Ireland Limited") joins the product
        of its own section (the nearest), else the product named nearest before it; it is a recipient of its own
        only when no product of it is named."""
        def sec(m: Mention) -> int:
            return self.lay.sentences[m.sentence].section

        home: dict[tuple[str, int], str] = {}
        home_of: dict[str, int] = {}
        for k in list(order):
            if ":" not in k or "/" in k:
                continue
            counts: dict[int, int] = {}
            for m in clusters[k]:
                counts[sec(m)] = counts.get(sec(m), 0) + 1
            h = (k.split(":")[0], max(counts, key=lambda x: (counts[x], -min(m.start for m in clusters[k] if sec(m) == x))))
            titled = self.lay.sections[h[1]].title and len(self.lay.section_chain(h[1])) > 1
            # products sharing a section are one recipient ("### Cloudflare" listing Workers and R2; "Google
            # Fonts", "Google Maps" in items of an integrations section), unless the notice names each as a
            # recipient of its own: each opens an item of its own ("- [Microsoft Azure](…) …", "**Google AdWords:**"),
            # or they stand side by side in one sentence of a section whose headings name neither the vendor nor
            # them ("## Cookies": "Google Maps, Google Invisible reCAPTCHA und YouTube nutzen")
            together = titled and h in home and not self._named_apart(h, clusters[k], clusters[home[h]])
            if h in home and together:  # the document as a whole (or a text without headings) is no shared section
                clusters[home[h]].extend(clusters.pop(k))
                order.remove(k)
            else:
                home.setdefault(h, k)
                home_of[k] = h[1]

        def chain(section: int) -> set[int]:  # the section and its ancestors, without the document's own title
            c = self.lay.section_chain(section)
            return set(c[:-1] or c)
        # a product whose home is a sub-section of another product's home ("#### Security (Cloudflare DNS proxy, WAF,
        # Turnstile)" > "##### Turnstile"): one recipient, presented together under the outer heading
        for k in list(order):
            if k not in home_of:
                continue
            inner_title = (self.lay.sections[home_of[k]].title or "").casefold()
            if any(m.name.casefold() in inner_title for m in clusters[k]):
                continue  # "### Analytics" > "#### Google Ads": a product under a heading of its own name stays apart
            outer = next((o for o in order if o != k and o in home_of and o.split(":")[0] == k.split(":")[0]
                          and home_of[o] != home_of[k] and home_of[o] in chain(home_of[k])
                          and self.lay.sections[home_of[o]].title), None)
            if outer is not None:
                clusters[outer].extend(clusters.pop(k))
                order.remove(k)
                del home_of[k]
        products: dict[str, list[str]] = {}
        for k in order:
            if ":" in k and "/" not in k:
                products.setdefault(k.split(":")[0], []).append(k)
        for vendor, keys in products.items():
            if vendor not in clusters:
                continue
            for m in clusters.pop(vendor):
                def near(pk: str, m: Mention = m) -> tuple[int, int, int]:
                    if home_of[pk] in chain(sec(m)) or sec(m) in chain(home_of[pk]):
                        return 0, 0, min(abs(x.start - m.start) for x in clusters[pk])  # the product's own section
                    same = [abs(x.start - m.start) for x in clusters[pk] if sec(x) == sec(m)]
                    if same:
                        return 0, 1, min(same)
                    before = [x.start for x in clusters[pk] if x.start <= m.start]
                    return (1, 0, m.start - max(before)) if before else (1, 1, min(x.start for x in clusters[pk]))
                clusters[min(keys, key=near)].append(m)
            order.remove(vendor)
        for k in order:
            clusters[k].sort(key=lambda m: m.start)

    def _named_apart(self, h: tuple[str, int], one: list[Mention], other: list[Mention]) -> bool:
        """Whether two products of one vendor sharing a home section are named as recipients each of its own."""
        lay, text = self.lay, self.text

        def opens_item(ms: list[Mention]) -> bool:
            for m in ms:
                s = lay.sentences[m.sentence]
                blk = lay.blocks[s.block]
                if s.kind == "item" and not text[blk.start:m.start].strip(" [*_\"“'`"):
                    return True
            return False
        if not (opens_item(one) and opens_item(other)) and not {m.sentence for m in one} & {m.sentence for m in other}:
            return False
        # a section of the vendor's or of these products ("### Cloudflare": "- Cloudflare Workers", "- Cloudflare
        # R2"; "Google-marketing en remarketingdiensten") presents them together
        vname = next((v.name for v in vocab.vendors()[0] if v.id == h[0]), h[0]).casefold()
        names = {m.name.casefold() for m in one + other if not m.legal_form} | {vname}
        for sec in lay.section_chain(h[1]):
            title = (lay.sections[sec].title or "").casefold()
            if any(re.search(rf"(?<!\w){re.escape(n)}(?!\w)", title) for n in names):
                return False
        return True

    def build_recipient(self, ms: list[Mention]) -> Recipient:
        lay = self.lay
        vendors = {v.id: v for v in vocab.vendors()[0]}
        vendor = next((vendors[m.vendor] for m in ms if m.vendor), None)
        brand = next((m for m in ms if m.via == "brand"), None)
        entities = [m for m in ms if m.legal_form]
        placed = [m for m in ms if m.country or m.region]
        eu = [m for m in placed if m.eu_entity and m.country and reference.is_eea(m.country)]
        primary = eu[0] if eu else (placed[0] if placed else None)
        surfaces = [m.name for m in ms if m.vendor and not m.legal_form]
        linked = next((m for m in ms if m.entity_of and m.legal_form), None)  # "Acme Mail, provided by Acme Ltd"
        if brand:
            name = brand.name
        elif linked is not None and vendor is None:
            name = linked.entity_of
        elif vendor is not None and len({m.key for m in ms if ":" in m.key}) > 1 and any(
                (lay.sections[lay.sentences[m.sentence].section].title or "").strip(" *_:").casefold()
                == vendor.name.casefold() for m in ms):
            name = vendor.name  # several products in the vendor's own section ("### Cloudflare": Workers, R2, …)
        elif vendor is not None and any(":" in m.key and not m.legal_form for m in ms) \
                and not any(m.via == "table" and ":" not in m.key for m in ms):  # a company's row keeps its name
            name = next(m.name for m in ms if ":" in m.key and not m.legal_form)  # "Google Fonts", one of the vendor's
        elif vendor is not None and (vendor.name in surfaces or surfaces):
            # the brand as the text writes it; the legal entity goes to ``entity``
            written = vendor.name in surfaces or any(
                m.legal_form and m.name.startswith(vendor.name) and vocab.loose_name(m.name) == vocab.loose_name(vendor.name)
                for m in ms)
            name = vendor.name if written else surfaces[0]  # ("ActiveCampaign, LLC" writes it as the vendor does)
        elif primary is not None and primary.legal_form:
            name = primary.name
        elif entities:
            name = entities[0].name
        else:
            name = ms[0].name
        entity = next((m.entity for m in ms if m.entity), None)
        if entity:
            pass
        elif linked is not None:
            entity = linked.name
        elif brand and entities:
            entity = entities[0].name
        elif primary is not None and primary.legal_form:
            entity = primary.name
        elif entities:
            entity = entities[0].name
        anchor = primary or next((m for m in ms if m.via in ("list_item", "table", "legal_form")), ms[0])
        s = lay.sentences[anchor.sentence]
        r = Recipient(name=name, country=None, mechanism="none", role="processor", evidence=s.text,
                      start=s.start, end=s.end, entity=entity, mentions=ms,
                      sentences=sorted({m.sentence for m in ms}))
        if primary is not None:
            r.country, r.region, r.country_source = primary.country, primary.region, primary.country_source
            if r.country and reference.is_eea(r.country) is False and r.region is None:
                r.region = None
        seen = set()
        for m in placed:
            key = (m.country, m.region)
            if key in seen:
                continue
            seen.add(key)
            ps = lay.sentences[m.place_evidence] if m.place_evidence is not None else lay.sentences[m.sentence]
            r.locations.append({"country": m.country, "region": m.region, "source": m.country_source,
                                "entity": m.name, "evidence": ps.text, "start": ps.start, "end": ps.end})
            for extra in m.more_places:
                if (extra, None) not in seen:
                    seen.add((extra, None))
                    r.locations.append({"country": extra, "region": None, "source": m.country_source,
                                        "entity": m.name, "evidence": ps.text, "start": ps.start, "end": ps.end})
        if vendor is not None:
            r.gazetteer = {"id": vendor.id, "entity": vendor.entity or None, "country": vendor.country or None,
                           "eu_entity": vendor.eu_entity or None, "eu_country": vendor.eu_country or None,
                           "kind": vendor.kind}
            if r.country is None and r.region is None and vendor.country:
                r.country, r.country_source = vendor.country, "gazetteer"
        cats = [m.category for m in ms if m.category]
        r.category = cats[0] if cats else None
        r.role = self._role(ms, vendor)
        r.dpa = True if any(vocab.cue("dpa").search(self.block_text(lay.sentences[m.sentence].block))
                            for m in ms) else None
        return r

    def _role_heading(self, section: int) -> str:
        """The section's own heading when it names a controller role ("Controller-Controller Relationships")."""
        cache = self.__dict__.setdefault("_role_headings", {})
        if section not in cache:
            heads = self.headings(section)
            cache[section] = heads[0] if heads and (vocab.cue("role_controller").search(heads[0])
                                                    or vocab.cue("role_joint").search(heads[0])) else ""
        return cache[section]

    def _role(self, ms: list[Mention], vendor) -> str:
        found = set()
        for m in ms:
            s = self.lay.sentences[m.sentence]
            blk = self.lay.blocks[s.block]
            texts = [s.text]
            head = self._role_heading(s.section)
            if head:
                texts.append(head)  # "### Controller-Controller Relationships"
            if blk.kind in ("item", "row"):
                texts.append(self.list_intro_text(blk.idx))
            for t in texts:
                for role, kind in (("joint_controller", "role_joint"), ("independent_controller", "role_controller"),
                                   ("subprocessor", "role_subprocessor"), ("processor", "role_processor")):
                    if vocab.cue(kind).search(t):
                        found.add(role)
                        break
        for role in _ROLE_ORDER:
            if role in found:
                return role
        if vendor is not None and vendor.default_role:
            return vendor.default_role
        return "processor"

    # -- categories ---------------------------------------------------------------------
    def categories(self, recipients: list[Recipient]) -> list[Recipient]:
        """Recipients-list items that name a kind of recipient rather than an organisation."""
        lay, text = self.lay, self.text
        named_blocks = {self.lay.sentences[i].block for r in recipients for i in r.sentences}
        example_blocks = {lay.sentences[m.sentence].block for m in self.mentions if m.via == "example"}
        ignored_blocks = {lay.sentences[m.sentence].block for m in self.mentions if m.status != "active"
                          and m.status != "controller"}
        parents = {g.parent_item for g in lay.lists if g.parent_item is not None}
        parents |= {g.intro for g in lay.lists if g.intro is not None}
        out = []
        for blk in lay.blocks:
            if blk.kind != "item" or blk.idx in parents or blk.idx in named_blocks or blk.idx in example_blocks \
                    or blk.idx in ignored_blocks:
                continue
            if not self.recipient_list(blk.idx):
                continue
            body = text[blk.start:blk.end]
            if vocab.cue("staff").search(body[:60]) or len(body) > 220 or _SOURCE_COMMENT.fullmatch(body.strip()) \
                    or re.search(r"[\w.+-]@[\w-]", body):
                continue  # (an e-mail address to write to: "Questions … can be sent to: [a@b.eu](mailto:…)")
            if vocab.cue("clause_item").match(body) or (self.language == "de" and body[:1].islower()):
                continue  # "(a) comply with applicable law", "im Zusammenhang mit der Vertragsabwicklung"
            name = self._category_name(body)
            examples = re.search(r"\(([^)]*)\)", body)
            if examples and not vocab.cue("example").search(examples.group(1)) and len(examples.group(1)) < 60:
                name = f"{name} ({examples.group(1)})"
            else:
                em = vocab.cue("example").search(body)
                if em and em.start() < 80:
                    tail = re.split(r"[,;.]", body[em.end():].strip(), maxsplit=1)[0].strip()
                    if tail and len(tail) < 40:
                        name = f"{name} ({em.group(0)} {tail})"
            if not name or len(name) > 120 or not_recipient_name(name) or any(
                    p.fullmatch(name.split(" (")[0]) for _, p in vocab.legal_bases()):  # "Wettelijke verplichting:"
                continue  # "EU-Standardvertragsklauseln (SCC)", "Gespreksgegevens die …": no kind of recipient
            phrase = name
            label = next((lab for lab, p in vocab.recipient_categories() if p.search(name.split(" (")[0])), None) \
                or next((lab for lab, p in vocab.recipient_categories() if p.search(body)), None)
            if not label and re.fullmatch(r"\(?(?:\d{1,2}|[a-zA-Z]|[ivxIVX]{1,5})[.)]", blk.marker.strip()):
                continue  # a numbered or lettered step or clause ("1. Update this page 30 days before"), no kind
            if label and self.language != "en":
                name = f"{label} ({phrase})"  # an English label for the register, the text's words kept
            s = lay.sentences_of_block(blk.idx)[0]
            role = self._role([Mention(name, blk.start, blk.end, s.idx, "category")], None)
            if re.search(r"\b(authorit|overheid|regelgev|Behörde|police|politie|Polizei|government)", body, re.I):
                role = "authority"
            out.append(Recipient(name=name, country=None, mechanism="none", role=role, evidence=s.text,
                                 start=s.start, end=s.end, is_category=True, category=label or phrase,
                                 sentences=[s.idx]))
        return out

    # -- engaged_by ----------------------------------------------------------------------
    def engagements(self, recipients: list[Recipient]) -> None:
        for r in recipients:
            for si in r.sentences:
                s = self.lay.sentences[si]
                m = vocab.cue("engaged_by").search(s.text)
                if not m:
                    continue
                after = s.start + m.end()
                for other in recipients:
                    if other is r:
                        continue
                    if any(x.sentence == si and 0 <= x.start - after <= 5 for x in other.mentions):
                        r.engaged_by = other.name
                        r.role = "subprocessor"
