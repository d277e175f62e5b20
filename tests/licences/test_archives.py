"""Electronic archives (电子档案): a closed case's package, its seal and files checked, tampering
found, one package a case, retention and the disposal listing, the command, the pages."""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import zipfile
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import override_settings

from quanban.accounts.roles import Role
from quanban.cases import services as cases
from quanban.cases.models import Case
from quanban.core.audit import sm3_hex
from quanban.core.errors import Conflict
from quanban.core.models import AuditRecord
from quanban.licences import archives, seals
from quanban.licences.archive_package import package_verify
from quanban.licences.models import ArchivePackage, Licence
from tests import factories
from tests.api.clients import session_client
from tests.core.test_calendar_cli import migrated_sqlite, quanban_script  # noqa: F401
from tests.licences.conftest import DAY, FORM, SHANGHAI, decided_case

APPLICATION = "%PDF-1.4 申请书 of 济南示例餐饮有限公司\n".encode()


@pytest.fixture(autouse=True)
def archive_store(settings, tmp_path):
    settings.ARCHIVE_DIR = tmp_path / "archives"
    settings.ARCHIVE_RETENTION = ""
    settings.PLATFORM_SEAL_CODE = "platform"
    return settings.ARCHIVE_DIR


@pytest.fixture
def platform_key(seal_store):
    return seals.seal_key_create(department_code="platform")


@pytest.fixture
def finished_case(city, clerk, instant_version, entity, seal_key, work_calendar):
    """A 即办 case applied for online by the company's account with its application uploaded,
    then accepted, approved and handed over at the window: finished, with its licence."""
    account = factories.make_citizen("13900000077")
    entity.user = account
    entity.save(update_fields=["user"])
    material = instant_version.materials.get(seq=1)
    case = cases.case_submit_online(
        user=account,
        item_version=instant_version,
        answers={},
        form_data=FORM,
        files={material.pk: SimpleUploadedFile("申请书.pdf", APPLICATION)},
        as_entity=True,
    )
    return cases.case_finish_on_the_spot(
        user=clerk,
        case=case,
        decision_text="预包装食品（含冷藏冷冻食品）销售；热食类食品制售",
        received_material_ids=[material.pk],
    )


def package_path(package: ArchivePackage) -> Path:
    return archives.archive_dir() / package.path


def rezip(path: Path, *, change: dict[str, bytes] | None = None, drop: str = "", add: str = ""):
    """Rewrite the package as someone editing it would: one member changed, dropped or added."""
    with zipfile.ZipFile(path) as old:
        members = [(info.filename, old.read(info.filename)) for info in old.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as new:
        for name, content in members:
            if name == drop:
                continue
            new.writestr(name, (change or {}).get(name, content))
        if add:
            new.writestr(add, b"added later")


# --- Building ------------------------------------------------------------------------------------


def test_a_finished_case_is_archived_with_every_file_sealed(
    finished_case, platform_key, city, entity
):
    package = archives.archive_build(case=finished_case)

    licence = Licence.objects.get(case=finished_case)
    assert package.case == finished_case
    assert package.path == f"2026/{finished_case.number}.zip"
    assert package.department == city.department
    assert (package.item_type, package.retention_years) == ("01", 30)
    assert (package.closed_on, package.dispose_on) == (dt.date(2026, 6, 15), dt.date(2057, 1, 1))
    assert package.state == ArchivePackage.State.ARCHIVED
    assert (package.signer, package.seal_key_id) == ("platform", platform_key.key_id)
    path = package_path(package)
    assert package.size == path.stat().st_size
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        assert all(info.compress_type == zipfile.ZIP_STORED for info in z.infolist())
        manifest = z.read("manifest.json")
        signature = json.loads(z.read("manifest.sig"))
        metadata = json.loads(z.read("case.json"))
        decision = json.loads(z.read("decision.json"))
        material = z.read("materials/01_食品经营许可申请书.pdf")
        licence_record = json.loads(z.read("results/licence.json"))
        trail = [json.loads(line) for line in z.read("audit/records.jsonl").splitlines()]
    assert sorted(names) == sorted(
        [
            "manifest.json",
            "manifest.sig",
            "case.json",
            "decision.json",
            "materials/01_食品经营许可申请书.pdf",
            "notices/acceptance.pdf",
            "notices/decision.pdf",
            "results/licence.json",
            "results/licence.pdf",
            "audit/records.jsonl",
        ]
    )
    assert package.file_count == 8
    assert material == APPLICATION
    listed = json.loads(manifest)
    assert listed["format"] == "quanban-archive/1"
    assert listed["case"] == {
        "id": finished_case.pk,
        "number": finished_case.number,
        "item": finished_case.item_version.name,
    }
    assert listed["built_at"] == "2026-06-15T02:00:00+00:00"
    assert [f["path"] for f in listed["files"]] == sorted(n for n in names if "manifest" not in n)
    entry = next(f for f in listed["files"] if f["path"] == "materials/01_食品经营许可申请书.pdf")
    assert entry == {"path": entry["path"], "size": len(APPLICATION), "sm3": sm3_hex(APPLICATION)}
    assert package.manifest_sm3 == sm3_hex(manifest) == signature["manifest_sm3"]
    assert seals.seal_verify(
        department_code="platform",
        seal=seals.Seal(signature["algorithm"], signature["key_id"], signature["signature"]),
        data=manifest,
    )
    assert metadata["number"] == finished_case.number
    assert metadata["applicant"] == {
        "kind": "001",
        "name": "济南示例餐饮有限公司",
        "code": entity.uscc,
        "legal_representative": "王五",
    }
    assert metadata["state"] == "finished" and metadata["national_state_code"] == "10"
    assert metadata["materials"][0]["file"] == "materials/01_食品经营许可申请书.pdf"
    assert metadata["archive"]["retention"] == "30年"
    assert metadata["archive"]["dispose_on"] == "2057-01-01"
    assert decision["decision"] == "approve"
    assert decision["decision_text"] == "预包装食品（含冷藏冷冻食品）销售；热食类食品制售"
    assert licence_record["identifier"] == licence.identifier
    assert licence_record["signature"] == licence.signature
    # The trail of the case (and of its licence), each record checkable against its own hash.
    expected = AuditRecord.objects.filter(
        object_type="cases.case", object_id=str(finished_case.pk)
    ).values_list("seq", flat=True)
    seqs = [r["seq"] for r in trail]
    assert set(expected) <= set(seqs) and seqs == sorted(seqs)
    issue = AuditRecord.objects.get(action="licence.issue", object_id=str(licence.pk))
    assert issue.seq in seqs
    for record in trail:
        body = {k: v for k, v in record.items() if k != "hash"}
        canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        assert sm3_hex(canonical.encode()) == record["hash"]
    built = AuditRecord.objects.get(action="archive.build", object_type="licences.archivepackage")
    assert built.object_id == str(package.pk)
    assert built.changes["manifest_sm3"] == package.manifest_sm3
    assert built.seq > max(seqs)


def test_building_twice_gives_the_one_package(finished_case, platform_key):
    first = archives.archive_build(case=finished_case)
    content = package_path(first).read_bytes()
    with time_machine.travel(DAY + dt.timedelta(hours=2), tick=False):
        second = archives.archive_build(case=finished_case)
        assert archives.archive_sweep() == 0
    assert second.pk == first.pk
    assert ArchivePackage.objects.count() == 1
    assert package_path(first).read_bytes() == content
    assert AuditRecord.objects.filter(action="archive.build").count() == 1
    assert [p.name for p in package_path(first).parent.iterdir()] == [f"{first.case.number}.zip"]


def test_the_sweep_archives_closed_cases_only(
    city, clerk, instant_version, entity, seal_key, platform_key, work_calendar
):
    finished = decided_case(clerk, instant_version, entity, city.window)
    rejected = decided_case(clerk, instant_version, entity, city.window, decision="reject")
    received = cases.case_receive(
        user=clerk,
        item_version=instant_version,
        applicant=entity,
        channel="8",
        answers={},
        window=city.window,
        form_data=FORM,
    )
    withdrawn = cases.case_receive(
        user=clerk,
        item_version=instant_version,
        applicant=entity,
        channel="8",
        answers={},
        window=city.window,
        form_data=FORM,
    )
    withdrawn = cases.case_terminate(
        user=clerk, case=withdrawn, termination="withdrawn", note="申请人当场撤回申请"
    )
    assert withdrawn.state == Case.State.TERMINATED

    assert archives.archive_sweep() == 3

    archived = dict(ArchivePackage.objects.values_list("case_id", "retention_years"))
    # Decided: the item type's 30 years; withdrawn before a decision: 10.
    assert archived == {finished.pk: 30, rejected.pk: 30, withdrawn.pk: 10}
    assert received.pk not in archived
    package = ArchivePackage.objects.get(case=withdrawn)
    assert package.path == f"2026/case-{withdrawn.pk}.zip"
    assert package.dispose_on == dt.date(2037, 1, 1)
    with zipfile.ZipFile(package_path(package)) as z:
        assert "notices/decision.pdf" not in z.namelist()
        assert json.loads(z.read("decision.json"))["termination"] == "withdrawn"
    assert archives.archive_sweep() == 0


def test_a_posted_result_not_yet_delivered_waits(finished_case, platform_key):
    Case.objects.filter(pk=finished_case.pk).update(delivery="post", delivered_at=None)
    with pytest.raises(Conflict) as refused:
        archives.archive_build(case=finished_case)
    assert refused.value.code == "archive_case_not_closed"
    assert archives.archive_sweep() == 0
    assert ArchivePackage.objects.count() == 0
    assert not archives.archive_dir().exists() or not any(archives.archive_dir().rglob("*.zip"))


def test_without_a_platform_key_nothing_is_archived_and_the_refusal_is_audited(finished_case):
    assert archives.archive_sweep() == 0
    assert ArchivePackage.objects.count() == 0
    failed = AuditRecord.objects.get(action="archive.build")
    assert failed.result == AuditRecord.Result.FAILED
    assert failed.object_id == str(finished_case.pk)
    assert failed.changes["code"] == "archive_seal_missing"
    assert "seal-keys create --platform" in failed.changes["message"]


# --- Checking ------------------------------------------------------------------------------------


def test_an_intact_package_verifies(finished_case, platform_key):
    package = archives.archive_build(case=finished_case)
    check = archives.archive_verify(package_path(package))
    assert check.ok and check.verification.problems == []
    assert check.verification.files == 8
    assert check.package == package


def test_one_changed_byte_in_a_file_is_named(finished_case, platform_key):
    package = archives.archive_build(case=finished_case)
    path = package_path(package)
    raw = bytearray(path.read_bytes())
    at = raw.index(APPLICATION) + 5  # stored, not compressed: the file's bytes are in the ZIP
    raw[at] ^= 0x01
    path.write_bytes(bytes(raw))

    problems = archives.archive_verify(path).verification.problems

    assert [(p.kind, p.path) for p in problems] == [
        ("changed", "materials/01_食品经营许可申请书.pdf")
    ]


def test_a_file_edited_and_zipped_again_is_named(finished_case, platform_key):
    package = archives.archive_build(case=finished_case)
    path = package_path(package)
    with zipfile.ZipFile(path) as z:
        metadata = json.loads(z.read("case.json"))
    metadata["decision"] = "reject"
    rezip(path, change={"case.json": json.dumps(metadata).encode()})

    problems = archives.archive_verify(path).verification.problems

    assert [(p.kind, p.path) for p in problems] == [("changed", "case.json")]


def test_a_deleted_and_an_added_file_are_named(finished_case, platform_key):
    package = archives.archive_build(case=finished_case)
    path = package_path(package)
    rezip(path, drop="results/licence.pdf", add="results/extra.pdf")

    problems = archives.archive_verify(path).verification.problems

    assert [(p.kind, p.path) for p in problems] == [
        ("missing", "results/licence.pdf"),
        ("extra", "results/extra.pdf"),
    ]


def test_a_changed_manifest_breaks_the_seal(finished_case, platform_key):
    package = archives.archive_build(case=finished_case)
    path = package_path(package)
    with zipfile.ZipFile(path) as z:
        manifest = json.loads(z.read("manifest.json"))
        forged = b"forged application"
    # Whoever swaps a file and writes its new digest into the manifest still lacks the seal.
    for entry in manifest["files"]:
        if entry["path"] == "materials/01_食品经营许可申请书.pdf":
            entry.update(size=len(forged), sm3=sm3_hex(forged))
    rezip(
        path,
        change={
            "manifest.json": json.dumps(manifest, ensure_ascii=False).encode(),
            "materials/01_食品经营许可申请书.pdf": forged,
        },
    )

    check = archives.archive_verify(path)

    assert [(p.kind, p.path) for p in check.verification.problems] == [
        ("signature", "manifest.sig"),
        ("signature", "manifest.json"),
    ]
    assert "does not verify" in check.verification.problems[0].detail
    # Without the platform's record to compare, the seal alone still refuses it.
    alone = package_verify(path, signer="platform")
    assert [p.kind for p in alone.problems] == ["signature"]


def test_a_package_sealed_by_another_key_is_refused(finished_case, platform_key, city, seal_key):
    package = archives.archive_build(case=finished_case)
    alone = package_verify(package_path(package), signer=city.department.uscc)
    assert [(p.kind, p.path) for p in alone.problems] == [("signature", "manifest.sig")]


def test_what_is_not_a_package_is_unreadable(tmp_path, platform_key):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip at all")
    problems = archives.archive_verify(junk).verification.problems
    assert [(p.kind, p.path) for p in problems] == [("unreadable", str(junk))]
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as z:
        z.writestr("case.json", b"{}")
    problems = archives.archive_verify(empty).verification.problems
    assert [(p.kind, p.detail) for p in problems] == [("unreadable", "no manifest.json")]
    odd = tmp_path / "odd.zip"
    with zipfile.ZipFile(odd, "w") as z:
        z.writestr("manifest.json", b'{"format": "quanban-archive/1", "case": 1, "files": "x"}')
        z.writestr("manifest.sig", b"[]")
    problems = archives.archive_verify(odd).verification.problems
    assert [(p.kind, p.path) for p in problems] == [("unreadable", "manifest.json")]


# --- Retention, the disposal listing, disposal --------------------------------------------------


def test_retention_by_item_type_and_its_configuration(settings):
    assert archives.retention_years(item_type="01", decided=True) == 30
    assert archives.retention_years(item_type="07", decided=True) is None
    assert archives.retention_years(item_type="07", decided=False) == 10
    assert archives.retention_years(item_type="20", decided=True) == 10
    settings.ARCHIVE_RETENTION = '{"01": null, "20": 5}'
    assert archives.retention_years(item_type="01", decided=True) is None
    assert archives.retention_years(item_type="20", decided=False) == 5
    assert archives.dispose_on_for(dt.date(2026, 12, 31), 10) == dt.date(2037, 1, 1)
    assert archives.dispose_on_for(dt.date(2026, 1, 1), 10) == dt.date(2037, 1, 1)
    assert archives.dispose_on_for(dt.date(2026, 1, 1), None) is None
    from django.core.exceptions import ImproperlyConfigured

    for bad in ('{"99": 3}', '{"01": 0}', "[1]", "{"):
        settings.ARCHIVE_RETENTION = bad
        with pytest.raises(ImproperlyConfigured):
            archives.retention_table()


def test_the_disposal_listing_and_disposal(
    city,
    clerk,
    instant_version,
    entity,
    seal_key,
    platform_key,
    work_calendar,
    django_capture_on_commit_callbacks,
):
    with override_settings(ARCHIVE_RETENTION='{"01": 3}'):
        short = decided_case(clerk, instant_version, entity, city.window)
        archives.archive_build(case=short)
    long = decided_case(clerk, instant_version, entity, city.window)
    archives.archive_build(case=long)
    short_package = ArchivePackage.objects.get(case=short)
    assert short_package.dispose_on == dt.date(2030, 1, 1)

    assert list(archives.archive_due(on=dt.date(2029, 12, 31))) == []
    assert [p.case_id for p in archives.archive_due(on=dt.date(2030, 1, 1))] == [short.pk]
    assert [p.case_id for p in archives.archive_due(on=dt.date(2057, 1, 1))] == [short.pk, long.pk]

    with pytest.raises(Conflict) as early:
        archives.archive_dispose(package=short_package, reason="到期鉴定", approved_by="局长")
    assert early.value.code == "archive_not_due"
    assert package_path(short_package).exists()

    with (
        time_machine.travel(dt.datetime(2030, 1, 2, 9, tzinfo=SHANGHAI), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        archives.archive_dispose(
            package=short_package, reason="保管期满，经鉴定无继续保存价值", approved_by="局长"
        )
    short_package.refresh_from_db()
    assert short_package.state == ArchivePackage.State.DISPOSED
    assert not package_path(short_package).exists()
    assert [p.case_id for p in archives.archive_due(on=dt.date(2057, 1, 1))] == [long.pk]
    record = AuditRecord.objects.get(action="archive.dispose")
    assert record.changes["approved_by"] == "局长"


# --- The command ---------------------------------------------------------------------------------


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("archive", *args, stdout=out)
    return out.getvalue()


def test_the_command_builds_verifies_and_lists(finished_case, platform_key):
    assert f"已归档 / archived: {finished_case.number}" in run(
        "build", "--case", finished_case.number
    )
    package = ArchivePackage.objects.get()
    assert AuditRecord.objects.get(action="archive.build").actor_name == "quanban archive"
    path = str(package_path(package))
    out = run("verify", path)
    assert out.startswith(f"档案包完整 / archive package intact: {path}")
    assert "8 个文件 / files" in out

    assert run("due", "--on", "2056-12-31").splitlines() == [
        "2056-12-31 前到期 / due by 2056-12-31: 0 件 / packages"
    ]
    lines = run("due", "--on", "2057-01-01").splitlines()
    assert lines[1] == (
        f"2057-01-01  {finished_case.number}  30年  济南市行政审批服务局  {package.path}"
    )

    rezip(Path(path), change={"decision.json": b"{}"}, drop="results/licence.pdf")
    with pytest.raises(CommandError) as failed:
        run("verify", path)
    message = str(failed.value)
    assert message.splitlines()[0] == (
        f"档案包校验未通过 / archive package FAILED verification: {path}"
    )
    assert "已被修改 / changed: decision.json" in message
    assert "缺失 / missing: results/licence.pdf" in message


def test_the_console_script_exit_codes_on_another_machine(
    finished_case,
    platform_key,
    seal_store,
    migrated_sqlite,  # noqa: F811  (the fixture imported above)
    tmp_path,
):
    """``quanban archive verify`` where the package was copied to: the seal store, an empty
    database, no record of the package — the seal and the digests are enough."""
    package = archives.archive_build(case=finished_case)
    copy = tmp_path / "copy.zip"
    copy.write_bytes(package_path(package).read_bytes())
    env = {
        **migrated_sqlite,
        "QUANBAN_SEAL_DIR": str(seal_store),
        "QUANBAN_PLATFORM_SEAL_CODE": "platform",
    }

    def quanban(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [quanban_script(), "archive", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
        )

    intact = quanban("verify", str(copy))
    assert (intact.returncode, intact.stderr) == (0, "")
    assert intact.stdout.startswith(f"档案包完整 / archive package intact: {copy}")
    assert f"办件 / case {finished_case.number}, 8 个文件 / files" in intact.stdout
    rezip(copy, change={"notices/decision.pdf": b"%PDF-1.4 another decision"})
    changed = quanban("verify", str(copy))
    assert (changed.returncode, changed.stdout) == (1, "")
    assert "已被修改 / changed: notices/decision.pdf" in changed.stderr
    bad_date = quanban("due", "--on", "31/12/2056")
    assert bad_date.returncode == 1
    assert "a date is written YYYY-MM-DD: '31/12/2056'" in bad_date.stderr


def test_the_command_names_an_unknown_case(db, platform_key):
    with pytest.raises(CommandError) as unknown:
        run("build", "--case", "370100-20990101-000001")
    assert "找不到办件 / no case numbered '370100-20990101-000001'" in str(unknown.value)


def test_the_command_refuses_an_open_case(city, clerk, instant_version, entity, platform_key):
    case = cases.case_receive(
        user=clerk,
        item_version=instant_version,
        applicant=entity,
        channel="8",
        answers={},
        window=city.window,
        form_data=FORM,
    )
    Case.objects.filter(pk=case.pk).update(number="370100-20260615-009999")
    with pytest.raises(CommandError) as refused:
        run("build", "--case", "370100-20260615-009999")
    assert "archive_case_not_closed" in str(refused.value)
    assert ArchivePackage.objects.count() == 0


def test_seal_keys_makes_the_platform_key(db, seal_store):
    out = io.StringIO()
    call_command("seal-keys", "create", "--platform", stdout=out)
    keys = seals.seal_keys_list(department_code="platform")
    assert len(keys) == 1 and keys[0].current
    assert keys[0].key_id in out.getvalue()
    record = AuditRecord.objects.get(action="seal_key.create")
    assert (record.object_type, record.object_id) == ("platform", "platform")


# --- Pages ---------------------------------------------------------------------------------------


@pytest.fixture
def head(city):
    return factories.make_staff(city, Role.DEPARTMENT_HEAD, scope=city.department)


def test_the_department_head_lists_and_downloads_its_packages(finished_case, platform_key, head):
    package = archives.archive_build(case=finished_case)
    client = session_client(head)
    page = client.get("/workbench/archives/")
    assert page.status_code == 200
    text = page.content.decode()
    assert finished_case.number in text and "2057-01-01" in text
    due = client.get("/workbench/archives/?due_on=2057-01-01").content.decode()
    assert finished_case.number in due
    assert (
        finished_case.number
        not in client.get("/workbench/archives/?due_on=2056-12-31").content.decode()
    )

    response = client.get(f"/workbench/archives/{package.pk}/package.zip")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body == package_path(package).read_bytes()
    record = AuditRecord.objects.get(action="archive.download")
    assert (record.object_id, record.actor_id) == (str(package.pk), head.pk)


def test_another_department_sees_no_package(finished_case, platform_key, city):
    package = archives.archive_build(case=finished_case)
    other_head = factories.make_staff(city, Role.DEPARTMENT_HEAD, scope=city.other_department)
    client = session_client(other_head)
    page = client.get("/workbench/archives/")
    assert page.status_code == 200
    assert finished_case.number not in page.content.decode()
    assert client.get(f"/workbench/archives/{package.pk}/package.zip").status_code == 404
    assert AuditRecord.objects.filter(action="archive.download").count() == 0


def test_a_supervisor_lists_but_may_not_download(finished_case, platform_key, city):
    package = archives.archive_build(case=finished_case)
    client = session_client(factories.make_staff(city, Role.SUPERVISOR))
    assert finished_case.number in client.get("/workbench/archives/").content.decode()
    assert client.get(f"/workbench/archives/{package.pk}/package.zip").status_code == 403
    assert AuditRecord.objects.filter(action="archive.download").count() == 0


def test_the_demo_makes_the_platform_key_once(db, seal_store):
    from quanban.licences.demo import demo_platform_key_load

    assert demo_platform_key_load() == 1
    assert demo_platform_key_load() == 0
    assert [k.current for k in seals.seal_keys_list(department_code="platform")] == [True]


def test_the_worker_task_sweeps(finished_case, platform_key):
    from quanban.licences.tasks import archive_sweep_periodic

    assert archive_sweep_periodic.call_local() == 1
    assert ArchivePackage.objects.get().case == finished_case
    record = AuditRecord.objects.get(action="archive.build")
    assert record.channel == "worker"


def test_wrong_archive_settings_are_reported_at_start(settings):
    from quanban.licences.checks import archive_settings

    assert archive_settings(None) == []
    settings.ARCHIVE_RETENTION = '{"01": "thirty"}'
    settings.PLATFORM_SEAL_CODE = "../elsewhere"
    assert [e.id for e in archive_settings(None)] == ["quanban.E101", "quanban.E102"]


def test_a_missing_or_disposed_package_is_not_handed_out(finished_case, platform_key, head):
    package = archives.archive_build(case=finished_case)
    client = session_client(head)
    package_path(package).rename(package_path(package).with_suffix(".moved"))
    missing = client.get(f"/workbench/archives/{package.pk}/package.zip", follow=True)
    assert missing.redirect_chain == [("/workbench/archives/", 302)]
    assert f"档案包文件缺失（{package.path}）" in missing.content.decode()
    ArchivePackage.objects.filter(pk=package.pk).update(state=ArchivePackage.State.DISPOSED)
    disposed = client.get(f"/workbench/archives/{package.pk}/package.zip", follow=True)
    assert "该档案已销毁。" in disposed.content.decode()
    assert AuditRecord.objects.filter(action="archive.download").count() == 0


def test_a_case_that_cannot_be_archived_does_not_hold_up_the_others(
    city, clerk, instant_version, entity, seal_key, platform_key, work_calendar, finished_case
):
    later = decided_case(clerk, instant_version, entity, city.window)
    assert finished_case.pk < later.pk
    stored = finished_case.materials.get().file
    Path(stored.path).unlink()  # the uploaded application lost from storage

    assert archives.archive_sweep(limit=2) == 1

    assert list(ArchivePackage.objects.values_list("case_id", flat=True)) == [later.pk]
    failed = AuditRecord.objects.get(action="archive.build", result=AuditRecord.Result.FAILED)
    assert (failed.object_id, failed.changes["code"]) == (
        str(finished_case.pk),
        "FileNotFoundError",
    )
    assert [c.pk for c in archives.archivable_cases()] == [finished_case.pk]


def test_the_command_disposes_only_a_due_package(
    finished_case, platform_key, django_capture_on_commit_callbacks
):
    package = archives.archive_build(case=finished_case)
    args = (
        "dispose",
        "--case",
        finished_case.number,
        "--reason",
        "保管期满",
        "--approved-by",
        "局长",
    )
    with pytest.raises(CommandError) as early:
        run(*args)
    assert "archive_not_due" in str(early.value)
    assert package_path(package).exists()
    with (
        time_machine.travel(dt.datetime(2057, 1, 1, 9, tzinfo=SHANGHAI), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert run(*args) == f"已销毁 / disposed: {package.path}\n"
    package.refresh_from_db()
    assert package.state == ArchivePackage.State.DISPOSED
    assert not package_path(package).exists()
