"""The calendar cross-check (scripts/calendar_crosscheck.py) on the shipped files and on wrong ones."""
import pathlib
import shutil
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
SCRIPT = HERE.parent / "calendar_crosscheck.py"
SHIPPED = HERE.parent.parent / "shared" / "core" / "data" / "calendar"


def run(folder):
    out = subprocess.run(
        [sys.executable, str(SCRIPT), str(folder)], capture_output=True, text=True, check=False
    )
    return out.returncode, out.stdout + out.stderr


def copy_shipped(tmp_path):
    for f in SHIPPED.glob("*.toml"):
        shutil.copy(f, tmp_path / f.name)
    return tmp_path


def test_shipped_files_agree_with_the_dataset_for_2025_to_2027():
    code, out = run(SHIPPED)
    assert code == 0, out
    assert "years 2025, 2026, 2027: 0 difference(s)" in out, out


def test_a_missing_holiday_is_named(tmp_path):
    folder = copy_shipped(tmp_path)
    f = folder / "2027.toml"
    text = f.read_text(encoding="utf-8")
    # The uncorrected 2027 file: 30 August a holiday, 15 March not.
    text = text.replace("date = 2027-03-15", "date = 2027-08-30")
    f.write_text(text, encoding="utf-8")
    code, out = run(folder)
    assert code == 1, out
    assert "2027-03-15 (Monday) is a holiday in the dataset" in out, out
    assert "2027-08-30 (Monday) is a day off in the file, not in the dataset" in out, out


def test_the_old_2026_file_fails_on_31_august(tmp_path):
    folder = copy_shipped(tmp_path)
    f = folder / "2026.toml"
    text = f.read_text(encoding="utf-8")
    text += '\n[[day_off]]\ndate = 2026-08-31\nname = "Constitution Day (moved from Sunday 30 August)"\n'
    f.write_text(text, encoding="utf-8")
    code, out = run(folder)
    assert code == 1, out
    assert "2026-08-31 (Monday) is a day off in the file, not in the dataset" in out, out


def test_a_day_off_with_its_decree_passes(tmp_path):
    folder = copy_shipped(tmp_path)
    f = folder / "2026.toml"
    text = f.read_text(encoding="utf-8")
    text += '\n[[day_off]]\ndate = 2026-12-31\nname = "transfer"\ndecree = "Government decree No. 0 (a test)"\n'
    f.write_text(text, encoding="utf-8")
    code, out = run(folder)
    assert code == 0, out


def test_a_working_weekend_without_its_decree_is_named(tmp_path):
    folder = copy_shipped(tmp_path)
    f = folder / "2025.toml"
    lines = [
        line
        for line in f.read_text(encoding="utf-8").splitlines()
        if not (line.startswith("decree =") and "Sunday 5 January 2025 to Friday 3 January 2025 (" in line)
    ]
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out = run(folder)
    assert code == 1, out
    assert "2025-01-05 (Sunday) is a working weekend day in the file" in out, out
