"""Scoring an extraction against a hand-made gold file (``*.gold.json``, the seeds' format).

Name matching and mechanism normalisation are those of the common scorer
(``shared/tools/score_extraction.py``); three things are stricter or finer here:

* **One prediction matches one gold recipient.** Predictions and gold entries
  are paired by a maximum-weight matching: the most required entries paired,
  then the most pairs, then the closest names (so "Google" once cannot count as
  Google Analytics *and* Google Fonts, and two predictions that each name their
  own service are not paired crosswise when every name also matches the other's
  entity). The counts (recall, precision) are those of any maximum matching;
  only which prediction stands for which entry, and so its country and
  mechanism, follows the names.
  A prediction left unpaired is a false positive even if its name resembles a
  gold entry already taken.
* **Organisation and service recall apart.** Service recall is over gold
  entries (one per service: "Meta Pixel", "Meta Custom Audiences"); an
  organisation (a gold entry's ``org``, else ``entity``, else ``name``) counts as
  found when any prediction names any of its entries.
* **Gazetteer countries apart.** The country score is over paired recipients
  whose gold country is stated in the notice; it is split by where the
  prediction's country came from (``country_source``): read in the text, or
  taken from the gazetteer. A gazetteer country where the notice states none is
  reported as *unverifiable* rather than counted right or wrong.

Gold fields used: ``name``, ``entity``, ``org``, ``country``, ``alt_countries``,
``mechanism``, ``alt_mechanisms``, ``mechanisms_all``, ``optional``,
``is_category``; document-level ``privacy_shield_reliance``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["DocScore", "norm_mech", "norm_name", "names_match", "score_document", "total"]

_SUFFIX = re.compile(r"\b(inc|llc|ltd|limited|gmbh|bv|b\.v|nv|sa|s\.a|ag|ivs|corp|corporation|co|plc|ireland|europe|"
                     r"international|company|the)\b\.?", re.I)


def norm_name(s: str | None) -> str:
    s = (s or "").lower().replace("-", " ")
    s = _SUFFIX.sub(" ", s)
    return " ".join(re.findall(r"[a-z0-9]+", s))


def norm_mech(m: str | None) -> str:
    k = re.sub(r"[^a-z0-9]", "", (m or "").lower())
    if not k or k in {"none", "nonestated", "unknown", "null"}:
        return "none_stated"
    if "privacyshield" in k:
        return "PrivacyShield"
    if "safeharbo" in k:
        return "SafeHarbor"
    if k.startswith("scc") or "contractualclause" in k or "standardcontract" in k:
        return "SCC"
    if "dpf" in k or "dataprivacyframework" in k:
        return "DPF"
    if "bcr" in k or "bindingcorporate" in k:
        return "BCR"
    if "adequa" in k:
        return "adequacy"
    if "consent" in k or "derogation" in k or "art49" in k:
        return "consent"
    return k


def _quality(p: str, g: str) -> int:
    """3 equal, 2 one contains the other, 1 half the words shared, 0 no match (the common scorer's rule)."""
    if not p or not g:
        return 0
    if p == g:
        return 3
    if (len(p) > 3 and p in g) or (len(g) > 3 and g in p):
        return 2
    pt, gt = set(p.split()), set(g.split())
    if pt & gt and len(pt & gt) / min(len(pt), len(gt)) >= 0.5:
        return 1
    return 0


def names_match(pred_name: str | None, gold: dict) -> int:
    p = norm_name(pred_name)
    return max((_quality(p, norm_name(g)) for g in (gold.get("name"), gold.get("entity")) if g), default=0)


def _org(g: dict) -> str:
    return norm_name(g.get("org") or g.get("entity") or g.get("name"))


@dataclass
class DocScore:
    name: str
    required: int = 0
    found: int = 0
    orgs: int = 0
    orgs_found: int = 0
    predicted: int = 0
    paired: int = 0
    country_n: int = 0
    country_ok: int = 0
    country_text_n: int = 0
    country_text_ok: int = 0
    country_gaz_n: int = 0
    country_gaz_ok: int = 0
    gaz_unverifiable: int = 0
    mech_n: int = 0
    mech_ok: int = 0
    ps_ok: int = 0
    missed: list[str] = field(default_factory=list)
    spurious: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)


def _pair(golds: list[dict], preds: list[dict]) -> dict[int, int]:
    """gold index -> prediction index: the most required gold recipients paired, then the most pairs, then the
    closest names (a maximum-weight matching, so a loose word match cannot take a prediction from the gold entry
    it names better, nor two pairs cross)."""
    import networkx as nx

    q = {(j, i): names_match(p.get("name"), g) for j, g in enumerate(golds) for i, p in enumerate(preds)}
    names = 3 * min(len(golds), len(preds)) + 1   # more than all name qualities together
    pair = names * (len(golds) + 1)               # more than all optional pairs and names together
    g = nx.Graph()
    for (j, i), quality in q.items():
        if quality:
            optional = bool(golds[j].get("optional") or golds[j].get("is_category"))
            g.add_edge(("g", j), ("p", i), weight=(names if optional else pair + names) + quality)
    out = {}
    for a, b in nx.max_weight_matching(g):
        (_, j), (_, i) = (a, b) if a[0] == "g" else (b, a)
        out[j] = i
    return dict(sorted(out.items()))


def score_document(name: str, gold: dict, pred: dict) -> DocScore:
    golds = gold["recipients"]
    preds = pred.get("recipients", [])
    s = DocScore(name, predicted=len(preds))
    pairs = _pair(golds, preds)
    s.paired = len(pairs)
    required = [j for j, g in enumerate(golds) if not g.get("optional") and not g.get("is_category")]
    s.required = len(required)
    s.found = sum(j in pairs for j in required)
    s.missed = [golds[j]["name"] for j in required if j not in pairs]
    taken = set(pairs.values())
    s.spurious = [p.get("name", "") for i, p in enumerate(preds) if i not in taken]
    orgs: dict[str, list[dict]] = {}
    for j in required:
        orgs.setdefault(_org(golds[j]), []).append(golds[j])
    s.orgs = len(orgs)
    for key, members in orgs.items():
        probe = members + [{"name": key}]
        s.orgs_found += any(names_match(p.get("name"), g) or names_match(p.get("entity"), g)
                            for p in preds for g in probe)
    for j, i in pairs.items():
        g, p = golds[j], preds[i]
        pc = (p.get("country") or "").upper()
        gaz = p.get("country_source") == "gazetteer"
        ok_c = {c for c in [g.get("country"), *(g.get("alt_countries") or [])] if c}
        if g.get("country"):
            s.country_n += 1
            hit = pc in ok_c
            s.country_ok += hit
            if gaz:
                s.country_gaz_n += 1
                s.country_gaz_ok += hit
            else:
                s.country_text_n += 1
                s.country_text_ok += hit
            if not hit:
                s.wrong.append(f"{g['name']}: country {pc or '-'} (gold {g['country']})")
        elif gaz and pc:
            if ok_c:
                s.country_gaz_n += 1
                s.country_gaz_ok += pc in ok_c
            else:
                s.gaz_unverifiable += 1
        ok_m = {norm_mech(g.get("mechanism")), *map(norm_mech, g.get("alt_mechanisms") or []),
                *map(norm_mech, g.get("mechanisms_all") or [])}
        s.mech_n += 1
        hit_m = norm_mech(p.get("mechanism")) in ok_m
        s.mech_ok += hit_m
        if not hit_m:
            s.wrong.append(f"{g['name']}: mechanism {p.get('mechanism')} (gold {g.get('mechanism')})")
    ps_pred = any(norm_mech(p.get("mechanism")) == "PrivacyShield" for p in preds)
    s.ps_ok = int(ps_pred == bool(gold.get("privacy_shield_reliance")))
    return s


def total(scores: list[DocScore]) -> dict:
    """Pooled figures over documents (micro averages) and the raw counts behind them."""
    t = {k: sum(getattr(s, k) for s in scores) for k in
         ("required", "found", "orgs", "orgs_found", "predicted", "paired", "country_n", "country_ok",
          "country_text_n", "country_text_ok", "country_gaz_n", "country_gaz_ok", "gaz_unverifiable",
          "mech_n", "mech_ok", "ps_ok")}
    r = lambda a, b: (t[a] / t[b]) if t[b] else None  # noqa: E731
    t.update(docs=len(scores), recall=r("found", "required"), org_recall=r("orgs_found", "orgs"),
             precision=r("paired", "predicted"), country=r("country_ok", "country_n"),
             country_text=r("country_text_ok", "country_text_n"), country_gazetteer=r("country_gaz_ok", "country_gaz_n"),
             mechanism=r("mech_ok", "mech_n"))
    return t
