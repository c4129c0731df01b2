#!/usr/bin/env python3
"""Cross-check deploy/holidays.toml against PyPI `chinese-calendar`.

What it checks, for every year listed in the file:

* every day of the year (Jan 1 to Dec 31) is a working day in our table exactly when
  `chinese_calendar.is_workday(day)` says so. Our rule is the one relief-legal implements:
  a day listed under `workdays` works; otherwise a day listed under `holidays` rests;
  otherwise Saturday and Sunday rest and the other days work;
* the load-time rules of `HolidayCalendar::from_toml_str` (so a bad edit is caught here
  too): each date lies in its year, no date is both a holiday and a working day, every
  working day listed is a weekend day, and the source is not empty.

It is a maintenance tool, not run in CI: run it after editing the file. It needs Python
3.11+ (tomllib) and the package, e.g.

    python3 -m venv /tmp/cc && /tmp/cc/bin/pip install chinese-calendar
    /tmp/cc/bin/python crates/legal/tools/crosscheck_holidays.py [path/to/holidays.toml]

`chinese-calendar` only knows the years its release was built with; a year it does not
know is reported as a failure ("not covered by chinese-calendar"), since then nothing was
checked. Exit status: 0 when everything agrees, 1 on any mismatch or rule violation.
"""

from __future__ import annotations

import datetime as dt
import pathlib
import sys
import tomllib

import chinese_calendar

DEFAULT_PATH = pathlib.Path(__file__).resolve().parents[3] / "deploy" / "holidays.toml"


def parse_dates(year: int, key: str, values: list[str], problems: list[str]) -> set[dt.date]:
    dates = set()
    for value in values:
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            problems.append(f"{year}: {key} entry {value!r} is not a yyyy-mm-dd date")
            continue
        if day.year != year:
            problems.append(f"{year}: {key} entry {day} is not in {year}")
        dates.add(day)
    return dates


def check_year(year: int, table: dict, problems: list[str]) -> int:
    if not str(table.get("source", "")).strip():
        problems.append(f"{year}: source is empty")
    holidays = parse_dates(year, "holidays", table.get("holidays", []), problems)
    workdays = parse_dates(year, "workdays", table.get("workdays", []), problems)
    for day in sorted(holidays & workdays):
        problems.append(f"{year}: {day} is both a holiday and a working day")
    for day in sorted(workdays):
        if day.weekday() < 5:
            problems.append(f"{year}: working day {day} is not a weekend day")

    checked = 0
    day = dt.date(year, 1, 1)
    while day.year == year:
        if day in workdays:
            ours = True
        elif day in holidays:
            ours = False
        else:
            ours = day.weekday() < 5
        try:
            theirs = chinese_calendar.is_workday(day)
        except NotImplementedError:
            problems.append(f"{year}: not covered by chinese-calendar {chinese_calendar.__version__}")
            return checked
        if ours != theirs:
            problems.append(
                f"{day} ({day.strftime('%a')}): holidays.toml says "
                f"{'working day' if ours else 'rest day'}, chinese-calendar says "
                f"{'working day' if theirs else 'rest day'}"
            )
        checked += 1
        day += dt.timedelta(days=1)
    return checked


def main(argv: list[str]) -> int:
    path = pathlib.Path(argv[1]) if len(argv) > 1 else DEFAULT_PATH
    with path.open("rb") as file:
        data = tomllib.load(file)
    problems: list[str] = []
    checked = 0
    years = data.get("years", {})
    for key in sorted(years):
        try:
            year = int(key)
        except ValueError:
            problems.append(f"year key {key!r} is not a year")
            continue
        checked += check_year(year, years[key], problems)
    for problem in problems:
        print(problem)
    print(
        f"{path}: {len(years)} years, {checked} days compared with chinese-calendar "
        f"{chinese_calendar.__version__}: {len(problems)} problems"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
