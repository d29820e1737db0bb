"""Score ``ropa extract`` on the held-out notices (tests/heldout/) or on any gold directory.

    .venv/bin/python tools/eval_extraction.py                # the dev half (tune on this one)
    .venv/bin/python tools/eval_extraction.py --split test   # the test half: once, at the end, report as is
    .venv/bin/python tools/eval_extraction.py --gold-dir ../shared/seeds   # NAME.gold.json beside NAME.txt
    .venv/bin/python tools/eval_extraction.py -v             # also what was missed, spurious or wrong

Texts come from tests/heldout/texts/ (shipped) or tests/heldout/cache/ (``tests/heldout/fetch.py``);
a document whose text is absent is listed as such and left out of the totals; a document the extractor fails on
is named, scored as a draft with no recipients, and makes the exit status 1. Scoring rules:
ropa/extract/score.py (one prediction per gold recipient; organisation and service recall apart;
gazetteer countries apart).
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ropa.extract import extract, to_json  # noqa: E402
from ropa.extract.score import score_document, total  # noqa: E402

HELDOUT = ROOT / "tests" / "heldout"


def heldout_docs(split: str) -> list[tuple[str, Path, Path | None, str]]:
    """(id, gold file, text file or None, name to read it as) for one split of the held-out set."""
    with open(HELDOUT / "sources.csv", newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if split == "all" or r["split"] == split]
    out = []
    for r in rows:
        text = next((p for p in (HELDOUT / "texts" / f"{r['id']}.txt", HELDOUT / "cache" / f"{r['id']}.txt")
                     if p.exists()), None)
        out.append((r["id"], HELDOUT / "gold" / f"{r['id']}.gold.json", text, Path(r["path"]).name))
    return out


def dir_docs(gold_dir: Path) -> list[tuple[str, Path, Path | None, str]]:
    out = []
    for g in sorted(gold_dir.glob("*.gold.json")):
        name = g.name[: -len(".gold.json")]
        t = gold_dir / f"{name}.txt"
        out.append((name, g, t if t.exists() else None, t.name))
    return out


def _pct(x) -> str:
    return "  -  " if x is None else f"{x:.2f}"


def run(docs, verbose: bool = False, out=sys.stdout) -> dict:
    scores, failed = [], []
    for name, gold_path, text_path, read_as in docs:
        if text_path is None:
            print(f"{name}: text missing (run tests/heldout/fetch.py)", file=out)
            continue
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        try:
            pred = to_json(extract(text_path.read_bytes(), read_as))
        except Exception as e:  # noqa: BLE001 - a user of `ropa extract` gets nothing: scored as an empty draft
            failed.append(name)
            print(f"{name}: extraction FAILED ({type(e).__name__}: {e}); scored as a draft with no recipients",
                  file=out)
            pred = {"recipients": []}
        s = score_document(name, gold, pred)
        scores.append(s)
        print(f"{name}: recall {s.found}/{s.required} orgs {s.orgs_found}/{s.orgs} precision {s.paired}/{s.predicted} "
              f"country {s.country_ok}/{s.country_n} mechanism {s.mech_ok}/{s.mech_n} ps {'ok' if s.ps_ok else 'WRONG'}",
              file=out)
        if verbose:
            for label, items in (("missed", s.missed), ("spurious", s.spurious), ("wrong", s.wrong)):
                if items:
                    print(f"    {label}: {'; '.join(items)}", file=out)
    t = total(scores)
    print(f"TOTAL docs {t['docs']} recall {_pct(t['recall'])} (organisations {_pct(t['org_recall'])}) "
          f"precision {_pct(t['precision'])} country {_pct(t['country'])} "
          f"(read {_pct(t['country_text'])} of {t['country_text_n']}, gazetteer {_pct(t['country_gazetteer'])} "
          f"of {t['country_gaz_n']}, unverifiable gazetteer {t['gaz_unverifiable']}) "
          f"mechanism {_pct(t['mechanism'])} ps {t['ps_ok']}/{t['docs']}"
          + (f" FAILED {len(failed)}: {', '.join(failed)}" if failed else ""), file=out)
    t["failed"] = failed
    return t


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", choices=("dev", "test", "all"), default="dev")
    ap.add_argument("--gold-dir", type=Path, help="score NAME.gold.json + NAME.txt pairs of this directory instead")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args(argv)
    docs = dir_docs(a.gold_dir) if a.gold_dir else heldout_docs(a.split)
    return 1 if run(docs, a.verbose)["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
