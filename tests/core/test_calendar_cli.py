"""``quanban calendar``: add, count, show, load — output and exit codes."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from quanban.core.models import AuditRecord, CalendarYear
from quanban.core.workdays import is_working_day
from tests import factories


def run(*args: str) -> str:
    out = StringIO()
    call_command("calendar", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("add", "2026-02-13", "1"), "2026-02-14\n"),  # make-up Saturday
        (("add", "2026-02-13", "2"), "2026-02-24\n"),  # over 春节
        (("add", "2026-02-13", "0"), "2026-02-13\n"),
        (("add", "2026-09-30", "3"), "2026-10-10\n"),
        (("add", "2025-12-31", "1"), "2026-01-04\n"),
        (("add", "2025-01-27", "1"), "2025-02-05\n"),
        (("count", "2026-02-13", "2026-02-24"), "2\n"),
        (("count", "2026-02-24", "2026-02-13"), "-2\n"),
        (("count", "2025-09-30", "2025-10-11"), "3\n"),  # 10/9, 10/10 and make-up Sat 10/11
    ],
)
def test_add_and_count(work_calendar, args, expected):
    assert run(*args) == expected


def test_show_lists_holidays_by_name_and_make_up_days(work_calendar):
    assert run("show", "2026") == (
        "2026 年节假日 / holidays:\n"
        "  元旦  2026-01-01–2026-01-03  (3 天 / days)\n"
        "  春节  2026-02-15–2026-02-23  (9 天 / days)\n"
        "  清明  2026-04-04–2026-04-06  (3 天 / days)\n"
        "  劳动节  2026-05-01–2026-05-05  (5 天 / days)\n"
        "  端午  2026-06-19–2026-06-21  (3 天 / days)\n"
        "  中秋  2026-09-25–2026-09-27  (3 天 / days)\n"
        "  国庆节  2026-10-01–2026-10-07  (7 天 / days)\n"
        "调休上班 / make-up working days:\n"
        "  2026-01-04 星期日  (元旦)\n"
        "  2026-02-14 星期六  (春节)\n"
        "  2026-02-28 星期六  (春节)\n"
        "  2026-05-09 星期六  (劳动节)\n"
        "  2026-09-20 星期日  (国庆节)\n"
        "  2026-10-10 星期六  (国庆节)\n"
    )


def test_show_2025_spells_out_a_span_interrupted_by_another_holiday(work_calendar):
    out = run("show", "2025")
    assert "  春节  2025-01-28–2025-02-04  (8 天 / days)\n" in out
    assert (
        "  国庆节  2025-10-01–2025-10-08  (7 天 / days)\n"
        "    2025-10-01 2025-10-02 2025-10-03 2025-10-04 2025-10-05 2025-10-07 2025-10-08\n"
        "  中秋  2025-10-06–2025-10-06  (1 天 / days)\n"
    ) in out
    assert "  2025-01-26 星期日  (春节)\n" in out
    assert "  2025-10-11 星期六  (国庆节)\n" in out


@pytest.mark.parametrize(
    ("args", "year"),
    [
        (("add", "2026-12-31", "1"), "2027"),
        (("add", "2027-03-01", "5"), "2027"),
        (("count", "2026-12-01", "2027-01-31"), "2027"),
        (("count", "2003-12-01", "2004-01-31"), "2003"),
        (("show", "2027"), "2027"),
        (("show", "2003"), "2003"),
    ],
)
def test_uncovered_years_fail_naming_the_year(work_calendar, args, year):
    with pytest.raises(CommandError) as caught:
        run(*args)
    assert str(caught.value) == (
        f"工作日历中没有 {year} 年的数据，请系统管理员先录入该年的节假日安排。"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("add", "2026-02-30", "1"), "not a valid date: '2026-02-30'"),
        (("add", "tomorrow", "1"), "not a valid date: 'tomorrow'"),
        (("add", "2026-02-13", "five"), "must be an integer: 'five'"),
        (("add", "2026-02-13", "-1"), "N must not be negative: -1"),
        (("count", "2026-02-13", "2026/02/24"), "not a valid date: '2026/02/24'"),
        (("show", "MMXXVI"), "must be an integer: 'MMXXVI'"),
    ],
)
def test_bad_input_is_a_clear_error(work_calendar, args, message):
    with pytest.raises(CommandError) as caught:
        run(*args)
    assert message in str(caught.value)


SCHEDULE_2027 = {
    "year": 2027,
    "note": "国务院办公厅关于2027年部分节假日安排的通知",
    "holidays": {"元旦": ["2027-01-01..2027-01-03"], "春节": ["2027-02-06..2027-02-13"]},
    "makeup_workdays": {"春节": ["2027-02-14", "2027-02-20"]},
}


def test_load_a_year_from_a_file(work_calendar, city, tmp_path):
    admin = factories.make_staff(city, factories.Role.SYSTEM_ADMIN, username="sysadmin")
    path = tmp_path / "2027.json"
    path.write_text(json.dumps(SCHEDULE_2027, ensure_ascii=False), encoding="utf-8")

    out = run("load", str(path), "--as", "sysadmin")

    assert out == "2027: 11 个节假日, 2 个调休上班日 / holidays, make-up working days loaded\n"
    assert CalendarYear.objects.get(year=2027).note == SCHEDULE_2027["note"]
    assert is_working_day(dt.date(2027, 2, 14)) is True
    assert is_working_day(dt.date(2027, 2, 8)) is False
    assert run("add", "2027-02-05", "1") == "2027-02-14\n"
    record = AuditRecord.objects.order_by("-seq").first()
    assert record is not None
    assert (record.action, record.actor_id, record.channel) == (
        "calendar_year.load",
        admin.pk,
        "cli",
    )


def test_load_as_a_user_without_calendar_edit_changes_nothing(work_calendar, clerk, tmp_path):
    path = tmp_path / "2027.json"
    path.write_text(json.dumps(SCHEDULE_2027), encoding="utf-8")
    audit_before = AuditRecord.objects.count()
    with pytest.raises(CommandError) as caught:
        run("load", str(path), "--as", "clerk")
    assert str(caught.value) == "您没有执行此操作的权限。"
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert AuditRecord.objects.count() == audit_before


def test_load_a_broken_file(work_calendar, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        run("load", str(path), "--as", "nobody")
    assert "cannot read" in str(caught.value)


# --- the real console script --------------------------------------------------------------------


def quanban_script() -> str:
    found = Path(sys.executable).with_name("quanban")
    return str(found) if found.exists() else (shutil.which("quanban") or "quanban")


@pytest.fixture
def migrated_sqlite(tmp_path):
    """A fresh SQLite database, migrated (so calendar-seeded) by the real ``quanban migrate``."""
    (tmp_path / "var").mkdir()
    env = {
        **os.environ,
        "QUANBAN_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'quanban.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "quanban.config.settings",
    }
    done = subprocess.run(
        [quanban_script(), "migrate", "--no-input"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    return env


def test_console_script_on_a_freshly_migrated_database(migrated_sqlite, tmp_path):
    def quanban(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [quanban_script(), "calendar", *args],
            env=migrated_sqlite,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )

    added = quanban("add", "2026-02-13", "2")
    assert (added.returncode, added.stdout, added.stderr) == (0, "2026-02-24\n", "")
    counted = quanban("count", "2025-12-31", "2026-01-05")
    assert (counted.returncode, counted.stdout) == (0, "2\n")
    uncovered = quanban("add", "2026-12-31", "1")
    assert uncovered.returncode == 1
    assert uncovered.stdout == ""
    assert "2027" in uncovered.stderr
    bad = quanban("add", "2026-02-30", "1")
    assert bad.returncode == 1
    assert "not a valid date: '2026-02-30'" in bad.stderr
