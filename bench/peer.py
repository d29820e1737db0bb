"""The peer: the two headline rules computed by a plain pandas script from the register CSV.

    .venv/bin/python bench/peer.py register.csv --as-of 2026-12-01 [--out findings.csv]

What a competent analyst would write instead of a graph store and a rule pack: read the CSV, build
the recipient hops and the places each recipient processes data in with pandas, and join them with
the reference tables. It computes

- ``transfer_without_safeguard``: a hop to a recipient that processes data in a resolved country
  outside the EEA, with no mechanism ("none"), a mechanism dated after the evaluation date, or an
  Art. 46 tool / derogation that did not exist yet, and no adequacy decision covering that
  country (within its scope: DPF certification, private sector) on the evaluation date;
- ``privacy_shield_reliance``: a hop that relies on the (Swiss-)US Privacy Shield, invalid on the
  evaluation date, to a recipient that processes data outside the EEA (or records no place).

The bench (bench/run.py) times it beside ``ropa check`` on the same file and checks that its
findings are exactly the rule pack's for these two rules: (rule, controller, activity, exporter,
importer, destination, mechanism, source, row). It reads the register's identity rule (case,
spacing and Unicode insensitive names) as the importer does, and the legal facts from
data/reference/ (``ropa.reference``): the peer must judge by the same law, not by a copy of it.
It handles the register as ``ropa generate`` writes it (one sheet, canonical headings); it does not
validate a register, which ``ropa check`` does (every problem by file, row, column and value).
"""
from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
import unicodedata
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

KEY_COLUMNS = ["rule", "controller", "activity", "exporter", "importer", "destination", "mechanism", "source", "row"]
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S")


def key(name: str) -> str:
    """Identity of a name: case, spacing, Unicode form and invisible characters do not count."""
    seen = unicodedata.normalize("NFC", name).translate(INVISIBLE)
    return unicodedata.normalize("NFC", " ".join(seen.split()).casefold()) or " ".join(name.split()).casefold()


def per_value(s: pd.Series, func) -> pd.Series:
    """``func`` applied once per distinct value."""
    uniq = s.unique()
    return s.map(dict(zip(uniq, map(func, uniq))))


def parse_date(text: str):
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", text)
    return dt.date(int(m.group(1)), int(m.group(2)), 1) if m else None


def headline_findings(path: Path, as_of: dt.date) -> pd.DataFrame:
    from ropa import reference
    df = pd.read_csv(path, dtype=str, keep_default_na=False, engine="pyarrow")
    for c in ("recipient_sector",):
        if c not in df:
            df[c] = ""
    used = ["controller", "controller_country", "activity", "recipient", "engaged_by", "recipient_country",
            "processing_countries", "mechanism", "mechanism_date", "dpf_certified", "recipient_sector",
            "evidence", "source"]
    df = df[used].apply(lambda s: s.str.strip())
    df["row"] = range(2, len(df) + 2)
    df = df[(df["controller"] != "") & (df["activity"] != "")].reset_index(drop=True)
    df["pos"] = range(len(df))
    df["ckey"] = per_value(df["controller"], key)
    df["akey"] = df["ckey"] + "::" + per_value(df["activity"], key)
    df["rkey"] = per_value(df["recipient"], key)
    spaced = lambda s: " ".join(s.split())  # noqa: E731

    def place(text: str):
        return None if not text else (reference.resolve_country(text) or "?:" + text)

    # Organisations: named as first written (controller before recipient within a row), one country each.
    rec = df[(df["recipient"] != "") & (df["rkey"] != df["ckey"])]
    events = pd.concat([
        pd.DataFrame({"id": df["ckey"], "name": df["controller"], "place": df["controller_country"],
                      "pos": df["pos"], "step": 0}),
        pd.DataFrame({"id": rec["rkey"], "name": rec["recipient"], "place": rec["recipient_country"],
                      "pos": rec["pos"], "step": 1})]).sort_values(["pos", "step"], kind="stable")
    events["place"] = per_value(events["place"], place)
    org_name = per_value(events.drop_duplicates("id").set_index("id")["name"], spaced)
    org_country = events.dropna(subset=["place"]).drop_duplicates("id").set_index("id")["place"]
    act_name = per_value(df.drop_duplicates("akey").set_index("akey")["activity"], spaced)
    controller_of = df.drop_duplicates("akey").set_index("akey")["ckey"].map(org_name)

    # Recipient properties: the first value given on any of its rows.
    def first_given(col: str, func) -> pd.Series:
        v = rec[["rkey"]].assign(v=per_value(rec[col], func)).dropna(subset=["v"])
        return v.drop_duplicates("rkey").set_index("rkey")["v"]
    dpf = first_given("dpf_certified", lambda s: reference.parse_bool(s) if s else None)
    sector = first_given("recipient_sector",
                         lambda s: {"public": "public", "non_profit": "non_profit"}.get(
                             re.sub(r"[^a-z0-9]+", "_", s.lower()).strip("_"), "private") if s else None)

    # Where each recipient processes data: the places given on any of its rows, else its own country.
    given = rec[["rkey", "processing_countries"]]
    given = given[given["processing_countries"] != ""].drop_duplicates()
    given = given.assign(place=given["processing_countries"].str.split(r"\s*(?:;|\n)\s*", regex=True)).explode("place")
    given = given[given["place"].str.strip() != ""]
    given["place"] = per_value(given["place"].str.strip(), place)
    places = given[["rkey", "place"]].drop_duplicates()
    inferred = org_country[~org_country.index.isin(places["rkey"])]
    places = pd.concat([places, pd.DataFrame({"rkey": inferred.index, "place": inferred.to_numpy()})])
    countries = reference.load_countries().set_index("code")["eea"].astype(bool)
    places["eea"] = places["place"].map(countries).fillna(False).astype(bool)  # unresolved: not EEA
    places["resolved"] = places["place"].isin(countries.index)

    # Hops: one per (sub-processor or not, activity, engaging organisation, recipient), first row kept.
    hops = rec.copy()
    hops["engager"] = hops["engaged_by"].where(hops["engaged_by"] == "", per_value(hops["engaged_by"], key))
    hops.loc[hops["engager"] == hops["ckey"], "engager"] = ""
    hops = hops.drop_duplicates(["akey", "engager", "rkey"])
    hops["exporter_key"] = hops["engager"].where(hops["engager"] != "", hops["ckey"])
    hops["mech"] = per_value(hops["mechanism"], lambda s: reference.resolve_mechanism(s) if s else None)
    hops["mdate"] = per_value(hops["mechanism_date"], lambda s: parse_date(s) if s else None)
    hops["controller"] = hops["akey"].map(controller_of)
    hops["activity_name"] = hops["akey"].map(act_name)
    hops["exporter"] = hops["exporter_key"].map(org_name)
    hops["importer"] = hops["rkey"].map(org_name)
    hops["source"] = hops["source"].where(hops["source"] != "", path.name)
    hops["certified"] = hops["rkey"].map(dpf).fillna(False).astype(bool)
    hops["sector"] = hops["rkey"].map(sector).fillna("private")

    mechs = reference.load_mechanisms().set_index("id")
    adequacy = reference.load_adequacy()
    in_force = adequacy[(adequacy["valid_from"] <= as_of) & adequacy["valid_until"].map(
        lambda d: d is None or pd.isna(d) or d >= as_of)]

    # transfer_without_safeguard
    t = hops.merge(places[places["resolved"] & ~places["eea"]], on="rkey")
    later = t["mdate"].map(lambda d: d is not None and not pd.isna(d) and d > as_of)
    not_yet = t["mech"].map(lambda m: m in mechs.index and mechs.at[m, "kind"] in ("art46", "derogation")
                            and mechs.at[m, "valid_from"] is not None and not pd.isna(mechs.at[m, "valid_from"])
                            and mechs.at[m, "valid_from"] > as_of)
    t = t[t["mech"].isna() | (t["mech"] == "none") | later | not_yet]
    cover = t[["place", "certified", "sector"]].drop_duplicates().merge(in_force, left_on="place", right_on="country")
    cover = cover[((cover["scope_kind"] != "dpf_certified") | cover["certified"])
                  & ((cover["sector"] == "private") | ~cover["scope_kind"].isin(["commercial_private", "private_sector"]))]
    covered = set(zip(cover["place"], cover["certified"], cover["sector"]))
    t = t[[k not in covered for k in zip(t["place"], t["certified"], t["sector"])]]
    t = t.assign(rule="transfer_without_safeguard", destination=t["place"])

    # privacy_shield_reliance
    away = places[~places["eea"]].groupby("rkey")["place"].min()
    p = hops[hops["mech"].isin(["privacy_shield", "swiss_us_privacy_shield"])]
    p = p[p["rkey"].isin(away.index) | ~p["rkey"].isin(places["rkey"])]
    invalid = mechs["invalid_from"].map(lambda d: d is not None and not pd.isna(d) and d <= as_of)
    p = p[p["mech"].map(invalid)]
    p = p.assign(rule="privacy_shield_reliance", destination=p["rkey"].map(away).fillna(p["rkey"].map(org_country)))

    out = pd.concat([t, p], ignore_index=True).rename(columns={"activity": "activity_text"})
    out = out.rename(columns={"activity_name": "activity", "mech": "mechanism_id"})
    out["mechanism"] = out["mechanism_id"]
    return out[KEY_COLUMNS].drop_duplicates().reset_index(drop=True)


def as_keys(frame: pd.DataFrame) -> set[tuple]:
    """Findings as comparable tuples (missing or empty values as None, rows as int)."""
    f = frame[KEY_COLUMNS].astype(object).where(frame[KEY_COLUMNS].notna(), None)
    return {tuple(int(v) if c == "row" and v not in (None, "") else (None if v == "" else v)
                  for c, v in zip(KEY_COLUMNS, r))
            for r in f.itertuples(index=False)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("register")
    p.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date.today())
    p.add_argument("--out", help="write the findings here as CSV")
    args = p.parse_args(argv)
    found = headline_findings(Path(args.register), args.as_of)
    if args.out:
        found.to_csv(args.out, index=False)
    print(found["rule"].value_counts().to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
