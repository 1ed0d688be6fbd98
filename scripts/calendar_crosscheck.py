#!/usr/bin/env python3
"""Cross-checks Kezek's working-day calendar files against an independent dataset: the Kazakhstan
calendar of the PyPI `holidays` package (pinned in scripts/requirements-test.txt).

For every `<year>.toml` in the folder (default: shared/core/data/calendar):
- every weekday the dataset calls a public holiday (observed and substituted days included) must be a
  day off in our file;
- every day off in our file that the dataset does not show, and every working Saturday or Sunday,
  must name in the file (`decree = "..."`) the decree that makes it.

Prints each difference with its date and exits 1 when there is one; exits 0 otherwise.
Usage: calendar_crosscheck.py [DIR]
"""
import datetime
import pathlib
import sys
import tomllib

import holidays

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_DIR = ROOT / "shared" / "core" / "data" / "calendar"


def _date(value):
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value))


def check_file(path):
    """The differences between one year file and the dataset, as readable lines naming the date."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    year = int(data["year"])
    problems = []
    days_off = {}
    for entry in data.get("day_off", []):
        days_off[_date(entry["date"])] = entry
    working_weekends = {}
    for entry in data.get("working_weekend", []):
        working_weekends[_date(entry["date"])] = entry
    dataset = holidays.country_holidays("KZ", years=year)
    dataset_weekdays = {d: name for d, name in dataset.items() if d.year == year and d.weekday() < 5}
    for day in sorted(dataset_weekdays):
        if day not in days_off:
            problems.append(
                f"{path.name}: {day.isoformat()} ({day.strftime('%A')}) is a holiday in the dataset "
                f"({dataset_weekdays[day]}) but a working day in the file"
            )
    for day in sorted(days_off):
        if day not in dataset_weekdays and not str(days_off[day].get("decree", "")).strip():
            problems.append(
                f"{path.name}: {day.isoformat()} ({day.strftime('%A')}) is a day off in the file, "
                f"not in the dataset, and the file names no decree for it"
            )
    for day in sorted(working_weekends):
        if not str(working_weekends[day].get("decree", "")).strip():
            problems.append(
                f"{path.name}: {day.isoformat()} ({day.strftime('%A')}) is a working weekend day in "
                f"the file, and the file names no decree for it"
            )
    return year, problems


def check_dir(folder):
    files = sorted(pathlib.Path(folder).glob("*.toml"))
    results = [check_file(f) for f in files]
    return [y for y, _ in results], [p for _, ps in results for p in ps]


def main(argv):
    folder = pathlib.Path(argv[1]) if len(argv) > 1 else DEFAULT_DIR
    years, problems = check_dir(folder)
    if not years:
        print(f"no calendar files in {folder}")
        return 1
    for p in problems:
        print(p)
    print(
        f"calendar cross-check against holidays {holidays.__version__} (KZ): years "
        f"{', '.join(map(str, years))}: {len(problems)} difference(s)"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
