"""A stage of the extractor. Mentions that are no disclosure: the controller itself, complaint channels, staff,
self-hosting, removed vendors."""
from __future__ import annotations

import re

from .. import reference
from . import vocab
from .patterns import _EMAIL_OR_URL, _GENERIC_NAME_WORDS, _SOURCE_COMMENT, _masked, not_recipient_name
from .context import Context
from .controller import own_key

# Sentence cues (data/extract/cues.csv) that put a name outside the notice's recipients, checked in this
# order; a table row's name is a recipient whatever its sentence says.
_DOMAIN = re.compile(r"[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")

# between "we do not use" and a name: the clause ended or turned ("…, but we use X", "other than X")
_CONTRAST = re.compile(r"[.;!?]\s|\b(?:but|except|other than|besides|instead|however|maar|behalve|dan|wel|echter|"
                       r"in plaats daarvan|aber|sondern|außer|ausser|jedoch|stattdessen|nur)\b", re.I)

_NEGATED = re.compile(r"\b(?:nicht|not|niet|kein\w*|no|geen|never|nie|nooit)\s+(?:\w+\s+)?$", re.I)


def _says_self_hosted(scope: str) -> bool:
    """A self-hosting cue not negated right before it ("müssen sie nicht auf unserem eigenen Server hochladen")."""
    return any(not _NEGATED.search(scope[max(0, c.start() - 30):c.start()])
               for c in vocab.cue("self_hosted").finditer(scope))


_SENTENCE_ROLES = (
    ("linked_only", "a site the notice only links to"),
    ("not_covered", "a service the processing agreement does not cover"),
    ("customer_choice", "a service a customer chooses to embed or connect"),
    ("user_share", "a channel the user shares through at their own initiative"),
)


_MAIL_DOMAIN = re.compile(r"(?<=[\w.+-])@([\w-]+(?:\.[\w-]+)+)")


def mail_domains_of(text: str) -> list[str]:
    """The domains of the e-mail addresses in ``text`` ("info@boekenkast.nl" gives "boekenkast.nl").

    The scan starts at each '@' (a character of the local part before it), not at each character that could begin
    a local part: that form rescanned every run of letters to its end, so a long word (an embedded image's base64)
    took time quadratic in its length.

    >>> mail_domains_of("Mail info@boekenkast.nl or a.b+c@mail.example.org; not @handle or x@localhost")
    ['boekenkast.nl', 'mail.example.org']
    """
    return _MAIL_DOMAIN.findall(text)


class FilterStage(Context):
    # -- filters ------------------------------------------------------------------
    def filter_mentions(self, controller: str | None) -> None:
        ckey = self._key(controller) if controller else None
        lay, text = self.lay, self.text
        # the controller and the site under other spellings ("BlueHeron", "blueheron.nl", "Acme.be, operated by …")
        own = {own_key(n) for n in getattr(self, "_own_names", []) + ([controller] if controller else [])} - {""}
        # the site's own domain, as its contact addresses give it ("Boekenkast.nl gebruikt …", "info@boekenkast.nl")
        mail_domains = {own_key(d) for d in mail_domains_of(text)} - {""}
        table_by_sentence: dict[int, list] = {}  # a row's table mentions (their status read when asked)
        for o in self.mentions:
            if o.via == "table":
                table_by_sentence.setdefault(o.sentence, []).append(o)
        for m in self.mentions:
            if not m.vendor and m.via != "table" and (own_key(m.name) in own or (
                    _DOMAIN.fullmatch(m.name) and own_key(m.name) in mail_domains)):
                m.status, m.reason = "controller", "the notice's own site or controller, spelt another way"
                continue
            if not m.vendor and m.entity and _DOMAIN.fullmatch(m.entity) and (
                    own_key(m.entity) in own or own_key(m.entity) in mail_domains):
                # "| SMTP Server (acme.de) | E-Mail-Versand | … |": a server of the site's own domain
                m.status, m.reason = "self_hosted", "a server of the notice's own site (its own domain in brackets)"
                continue
            s = lay.sentences[m.sentence]
            blk = lay.blocks[s.block]
            m.key = self._key(m.name) if not m.vendor else m.vendor
            if m.vendor:  # "Google Fonts" and "Google Analytics": products of one vendor (grouped later)
                product = vocab.vendor_products().get(vocab.legal_forms().sub("", m.name).strip(" ,").casefold())
                if product and product.startswith(m.vendor + ":"):
                    m.key = product
            if ckey and (m.key == ckey or (m.key and ckey.startswith(m.key + " ")) or
                         (ckey and m.key.startswith(ckey + " "))):
                words = lambda x: re.findall(r"\w+", x.casefold())  # noqa: E731
                # "Retool may also engage its Affiliate, Retool UK Limited"; a sub-processor table's row naming a
                # group company ("| Acme Czech s.r.o. | Acme Processor | Czech Republic | Intra-group Agreement |")
                affiliate = m.legal_form and words(m.name) != words(controller) and m.key != m.vendor \
                    and (vocab.cue("affiliate").search(s.text) or m.via == "table") \
                    and not vocab.cue("non_recipient").search(s.text)
                if not affiliate:  # "Retool may also engage its Affiliate, Retool UK Limited": a recipient
                    m.status, m.reason = "controller", "the controller itself"
                    continue
            if not m.vendor and not m.legal_form and not_recipient_name(m.name):
                # "| Identity data | … |", "We use Session Cookies", "we rely on Standard Contractual Clauses"
                m.status, m.reason = "not_a_recipient", "a kind of data, a cookie or a safeguard, not an organisation"
                continue
            if re.search(r"[{}<>@]", m.name):
                m.status, m.reason = "not_a_recipient", "code, markup or an e-mail address (\"{v.name}\", \"</p>\", \"[a@b.eu](mailto:…)\"), not a name"
                continue
            if _SOURCE_COMMENT.fullmatch(s.text.strip()):
                m.status, m.reason = "not_a_recipient", "named in a source comment (\"{/* Microsoft Azure */}\"), not text"
                continue
            if m.vendor and m.via == "gazetteer" and vocab.cue("cookie_domain").match(text, m.end):
                m.status, m.reason = "not_a_recipient", "named as a cookie's domain (\"Cookies der DoubleClick-Domain\")"
                continue
            if m.vendor and m.via == "gazetteer" and vocab.cue("user_device").match(text, m.end):
                m.status, m.reason = "not_a_recipient", "the user's own device or browser (\"Apple devices\", \"Microsoft Edge\")"
                continue
            if blk.kind == "row" and m.via != "table" and any(
                    o.status == "active" for o in table_by_sentence.get(m.sentence, ())):
                # "| Slack | Team chat (Zendesk tickets are sent to Slack) |": the row's recipient is its name cell
                m.status, m.reason = "not_a_recipient", "named in another cell of a recipient's table row"
                continue
            if vocab.cue("software").fullmatch(m.name) and not m.vendor:
                m.status, m.reason = "not_a_recipient", "software the site is built with (\"powered by Jekyll\")"
                continue
            sent = _masked(s.text, _EMAIL_OR_URL)
            if m.name not in sent and m.via != "table":
                m.status, m.reason = "not_a_recipient", "named only in a URL or e-mail address"
                continue
            if vocab.cue("non_recipient").search(sent) and m.via in ("legal_form", "gazetteer") \
                    and not vocab.cue("service").search(sent.replace(m.name, " ")):
                m.status, m.reason = "not_a_recipient", "named as a complaint channel, group member or the like"
                continue
            said = next((why for kind, why in _SENTENCE_ROLES if vocab.cue(kind).search(sent)), None) \
                if m.via != "table" else None
            if said is not None:
                m.status, m.reason = "not_a_recipient", said
                continue
            role = next((c for c in vocab.cue("source_role").finditer(sent)
                         if c.end() <= m.start - s.start <= c.end() + 160), None)
            alt = next((c for c in vocab.cue("alternative_to").finditer(sent)
                        if c.end() <= m.start - s.start <= c.end() + 12), None)
            if alt is not None and m.via != "table":
                m.status, m.reason = "not_a_recipient", f"named as what another service replaces ({alt.group(0)!r})"
                continue
            if role is not None and m.via != "table":
                m.status, m.reason = "not_a_recipient", f"named as a source of data or a tool's maker ({role.group(0)!r})"
                continue
            if m.via == "legal_form" and not m.vendor:
                context = sent + " " + " ".join(self.headings(s.section)[:1])
                in_list = (blk.kind in ("item", "row") and (blk.kind == "row" or self.recipient_list(blk.idx))) \
                    or blk.idx in self.address_lines()
                if not (in_list or vocab.cue("service").search(context) or vocab.cue("transfer").search(sent)
                        or self._described_below(blk) or self._heading_of_its_section(m, blk)):
                    m.weak = True
                if vocab.cue("non_recipient").search(sent):
                    m.status, m.reason = "not_a_recipient", "named as a complaint channel, group member or the like"
                    continue
            if blk.kind == "item" and vocab.cue("staff").search(text[blk.start:blk.end][:60]) and m.via != "gazetteer":
                m.status, m.reason = "not_a_recipient", "staff of the controller"
                continue
            block_text = text[blk.start:blk.end]
            host = m.vendor is not None and "hosting" in next((v.kind for v in vocab.vendors()[0] if v.id == m.vendor), "")
            # "self-hosted MTA on Hetzner": Hetzner hosts; a sub-processor table's row names a recipient whatever
            # its cells say of the customer's product ("Workflows (Self-Hosted Offerings)")
            # in a paragraph, self-hosting speaks for the name in its own sentence or in the next one that goes on
            # about it ("We use Matomo. It runs on our own servers"), not for a name in another sentence ("I'm
            # self-hosting on a server in Germany. It uses a Cloudflare proxy"); in a list item, for the item
            scope = block_text
            if blk.kind == "para":
                scope = s.text
                nxt = lay.sentences[s.idx + 1] if s.idx + 1 < len(lay.sentences) else None
                if nxt is not None and nxt.block == s.block and re.match(r"\W*(\w+)", nxt.text) \
                        and vocab.cue("anaphor").fullmatch(re.match(r"\W*(\w+)", nxt.text).group(1)):
                    scope += " " + nxt.text
            if _says_self_hosted(scope) and not host and m.via != "table":
                m.status, m.reason = "self_hosted", "served from the controller's own server (self-hosted)"
                continue
            if m.via != "table" and self._said_unused(m, s, sent, blk):
                m.status, m.reason = "not_a_recipient", "said not to be used (\"we do not use …\", \"maakt geen gebruik van:\")"
                continue
            removal = vocab.cue("removed").search(sent)
            heading_removed = any(vocab.cue("removed").search(h) for h in self.headings(s.section)[:1])
            intro = self.list_intro_text(blk.idx) if blk.kind in ("item", "row") else ""
            if any(vocab.cue("not_recipient_heading").search(h) for h in self.headings(s.section)[:1]):
                m.status, m.reason = "not_a_recipient", "listed under a heading that puts it outside the recipients"
                continue
            if heading_removed or (intro and vocab.cue("removed").search(intro)):
                m.status, m.reason = "removed", "listed as removed / no longer used"
                continue
            if removal:
                rep = vocab.cue("replaced").search(sent)
                if rep and s.start + rep.end() <= m.start:
                    continue  # the replacement is the new vendor
                m.status, m.reason = "removed", "said to be removed / no longer used"

    def _said_unused(self, m, s, sent: str, blk) -> bool:
        """"deze website gebruikt geen analytics-cookies (zoals Google Analytics)", "we do not use Mixpanel", an item
        of a list after "Deze website maakt geen gebruik van:": the name is what the notice does not use. A
        contrast ("but", "other than", "behalve", "außer") or a clause's end between the two lifts it."""
        at = m.start - s.start
        for c in vocab.cue("not_used").finditer(sent):
            if c.end() <= at <= c.end() + 120 and not _CONTRAST.search(sent[c.end():at]):
                return True
        if blk.kind == "item":
            intro = self.list_intro_text(blk.idx).rstrip()
            c = None
            for c in vocab.cue("not_used").finditer(intro):
                pass
            if c is not None and intro.endswith(":") and not _CONTRAST.search(intro[c.end():]):
                return True
        return False

    def _heading_of_its_section(self, m, blk) -> bool:
        """"### Acme Ltd, Verenigd Koninkrijk" and under it "Acme ([privacy policy](…)) lets me …": a heading naming a
        company whose section opens with that company's name heads a section about it."""
        if blk.kind != "heading" or blk.idx + 1 >= len(self.lay.blocks):
            return False
        nxt = self.lay.blocks[blk.idx + 1]
        first = re.match(r"[\w-]+", m.name)
        opening = re.match(r"\W*([\w-]+)", self.text[nxt.start:nxt.end])
        return nxt.kind == "para" and bool(first) and bool(opening) and len(first.group(0)) >= 3 \
            and first.group(0).casefold() == opening.group(1).casefold()

    def _described_below(self, blk) -> bool:
        """A company's line alone ("Acme Inc. (USA)"), its address and then a list whose items give its purpose or
        transfer basis ("- Zweck: …", "- Übermittlungsgrundlage: SCC"): the company is described as a recipient."""
        if blk.kind not in ("para", "heading") or len(blk.text) > 80:
            return False
        for nxt in self.lay.blocks[blk.idx + 1:blk.idx + 4]:
            if nxt.kind in ("para", "heading") and len(nxt.text) > 80:
                return False  # (a short line between is the address: "970 Main Street, San Francisco, CA 94107")
            if nxt.kind == "item":
                body = self.text[nxt.start:nxt.end]
                return bool(vocab.cue("purpose").search(body) or vocab.cue("transfer").search(body)
                            or reference.resolve_mechanism(body.split(":", 1)[-1]) not in (None, "none"))
        return False

    def _spread_self_hosting(self) -> None:
        """"We host Matomo on our own servers" speaks for every mention of that same name."""
        hosted = {m.name.casefold() for m in self.mentions if m.status == "self_hosted"}
        # (and by product: "Google Fonts sind lokal installiert" speaks for "Google Web Fonts" too)
        products = {m.key for m in self.mentions if m.status == "self_hosted" and ":" in m.key}
        for m in self.mentions:
            if m.status == "active" and (m.name.casefold() in hosted or (":" in m.key and m.key in products)):
                m.status, m.reason = "self_hosted", "said elsewhere to run on the controller's own servers"

    @staticmethod
    def _key(name: str) -> str:
        name = vocab.legal_forms().sub(" ", name)
        tokens = [t for t in re.findall(r"[\w.+]+", name.casefold()) if t not in _GENERIC_NAME_WORDS]
        return " ".join(t.strip(".") for t in tokens)
