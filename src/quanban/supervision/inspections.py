"""体验官 and 督查 (docs/supervision.md, "Inspections and experience officers").

- Supervisors register experience officers (体验官) with their kind and term; an officer (from
  their citizen account) or a supervisor on their behalf files a report on a visit or an online
  service, with scores and findings.
- Supervisors record inspections — special (专项督查), unannounced (暗访), random (随机抽查: a
  sample of a department's cases drawn with a recorded seed, so anyone can draw it again) — with
  findings.
- Every finding is a rectification task of the department concerned, due in
  ``SUPERVISION_FINDING_WORKING_DAYS`` working days (default 10) unless the inspector sets a day;
  the department's staff record what was done.

Every write is audited. :func:`findings_by_department` gives the figures per department and
month (for the rankings).
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from quanban.accounts.models import OrgUnit, User
from quanban.accounts.roles import Perm, Role
from quanban.accounts.selectors import require_perm
from quanban.cases.models import Case
from quanban.catalogue.models import ServiceItem
from quanban.core import clock, workdays
from quanban.core.audit import audit_record, audited_atomic
from quanban.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from quanban.supervision.models import ExperienceOfficer, Finding, Inspection
from quanban.supervision.selectors import is_supervisor

SCORE_DIMENSIONS = ("efficiency", "attitude", "guidance", "environment", "convenience")
TEXT_MAX = 2000
SAMPLE_MAX = 500


def finding_days() -> int:
    return int(getattr(settings, "SUPERVISION_FINDING_WORKING_DAYS", 10))


def _require_supervisor(user: User) -> None:
    if not is_supervisor(user):
        raise PermissionDenied(_("督查由督查人员登记。"), code="inspection_supervisor_only")


def _text(value: str, field: str, *, required: bool = True, limit: int = TEXT_MAX) -> str:
    value = (value or "").strip()
    if (required and not value) or len(value) > limit or "\x00" in value:
        raise ValidationFailed(
            _("请填写“%(field)s”（不超过 %(limit)s 字）。") % {"field": field, "limit": limit},
            code="inspection_text_invalid",
            field=field,
        )
    return value


def _department(department_id: int) -> OrgUnit:
    department = OrgUnit.objects.filter(
        pk=department_id, kind=OrgUnit.Kind.DEPARTMENT, is_active=True
    ).first()
    if department is None:
        raise NotFound(_("找不到该部门。"), code="department_not_found", field="department_id")
    return department


# --- Experience officers (体验官) -------------------------------------------------------------------


def officer_register(
    *,
    user: User,
    name: str,
    kind: str,
    term_start: dt.date,
    term_end: dt.date,
    account: User | None = None,
    phone: str = "",
) -> ExperienceOfficer:
    """Register an experience officer for a term (a supervisor)."""
    _require_supervisor(user)
    name = _text(name, "name", limit=50)
    if kind not in ExperienceOfficer.Kind.values:
        raise ValidationFailed(_("体验官类别无效。"), code="officer_kind_invalid", field="kind")
    if term_end < term_start:
        raise ValidationFailed(
            _("聘期结束日期不能早于开始日期。"), code="officer_term_invalid", field="term_end"
        )
    if account is not None and account.kind != User.Kind.CITIZEN:
        raise ValidationFailed(
            _("体验官的账号须为群众账号。"), code="officer_account_invalid", field="account"
        )
    phone = (phone or "").strip()
    if phone and (not phone.isdigit() or len(phone) > 20):
        raise ValidationFailed(_("联系电话无效。"), code="officer_phone_invalid", field="phone")
    with audited_atomic():
        officer = ExperienceOfficer.objects.create(
            name=name,
            kind=kind,
            account=account,
            phone=phone,
            term_start=term_start,
            term_end=term_end,
            registered_by=user,
            registered_at=clock.now(),
        )
        audit_record(
            action="officer.register",
            obj=officer,
            after={
                "name": name,
                "kind": kind,
                "term_start": term_start,
                "term_end": term_end,
                "account": account.pk if account else None,
            },
        )
    return officer


def _scores(scores: Mapping[str, Any]) -> dict[str, int]:
    clean: dict[str, int] = {}
    for key, value in scores.items():
        if key not in SCORE_DIMENSIONS or not isinstance(value, int) or not 1 <= value <= 5:
            raise ValidationFailed(
                _("评分须为 1–5 分，维度为办事效率、服务态度、指引、环境、便捷。"),
                code="report_score_invalid",
                field="scores",
            )
        clean[key] = value
    return clean


@dataclass(frozen=True)
class FindingInput:
    """A finding as filed: the department concerned, what is wrong, optionally a case and a day
    by which it must be rectified."""

    department_id: int
    text: str
    case_id: int | None = None
    due_on: dt.date | None = None


def _add_findings(
    inspection: Inspection, findings: Sequence[FindingInput], today: dt.date
) -> list[Finding]:
    default_due = workdays.add_working_days(today, finding_days())
    rows = []
    for entry in findings:
        _department(entry.department_id)
        if entry.case_id is not None and not Case.objects.filter(pk=entry.case_id).exists():
            raise NotFound(_("找不到该办件。"), code="case_not_found", field="case_id")
        if entry.due_on is not None and entry.due_on < today:
            raise ValidationFailed(
                _("整改期限不能早于今天。"), code="finding_due_invalid", field="due_on"
            )
        rows.append(
            Finding(
                inspection=inspection,
                department_id=entry.department_id,
                case_id=entry.case_id,
                text=_text(entry.text, "text"),
                found_on=inspection.held_on,
                due_on=entry.due_on or default_due,
            )
        )
    return Finding.objects.bulk_create(rows)


def officer_report_file(
    *,
    user: User,
    officer_id: int,
    channel: str,
    held_on: dt.date,
    title: str,
    summary: str = "",
    unit_id: int | None = None,
    item_id: int | None = None,
    scores: Mapping[str, Any] | None = None,
    findings: Sequence[FindingInput] = (),
) -> Inspection:
    """体验报告: an officer (their own account, within their term) or a supervisor for them
    reports on a visit to a hall or window, or on an item's online service."""
    officer = ExperienceOfficer.objects.filter(pk=officer_id).first()
    if officer is None:
        raise NotFound(_("找不到该体验官。"), code="officer_not_found")
    if not is_supervisor(user) and (officer.account_id is None or officer.account_id != user.pk):
        raise PermissionDenied(_("体验报告由体验官本人或督查人员提交。"), code="report_not_officer")
    today = clock.today()
    if not officer.term_start <= held_on <= min(officer.term_end, today):
        raise ValidationFailed(
            _("体验日期须在聘期内且不晚于今天。"), code="report_outside_term", field="held_on"
        )
    if channel not in Inspection.Channel.values:
        raise ValidationFailed(_("体验方式无效。"), code="report_channel_invalid", field="channel")
    unit = OrgUnit.objects.filter(pk=unit_id, is_active=True).first() if unit_id else None
    item = ServiceItem.objects.filter(pk=item_id).first() if item_id else None
    if (unit_id and unit is None) or (item_id and item is None):
        raise NotFound(_("找不到体验的对象。"), code="report_subject_not_found")
    if channel == Inspection.Channel.VISIT and unit is None:
        raise ValidationFailed(
            _("现场体验请选择服务大厅或窗口。"), code="report_subject_missing", field="unit_id"
        )
    if channel == Inspection.Channel.ONLINE and item is None:
        raise ValidationFailed(
            _("网上体验请选择事项。"), code="report_subject_missing", field="item_id"
        )
    clean_scores = _scores(scores or {})
    with audited_atomic():
        report = Inspection.objects.create(
            kind=Inspection.Kind.OFFICER,
            title=_text(title, "title", limit=200),
            summary=_text(summary, "summary", required=False),
            held_on=held_on,
            officer=officer,
            channel=channel,
            unit=unit,
            item=item,
            scores=clean_scores,
            created_by=user,
            created_at=clock.now(),
        )
        rows = _add_findings(report, findings, today)
        audit_record(
            action="inspection.report",
            obj=report,
            after={
                "officer": officer.pk,
                "channel": channel,
                "unit": unit_id,
                "item": item_id,
                "scores": clean_scores,
                "findings": [row.pk for row in rows],
            },
        )
    return report


# --- Inspections (专项督查, 暗访, 随机抽查) --------------------------------------------------------------


def draw_sample(
    *, department_id: int, start: dt.date, end: dt.date, size: int, seed: int
) -> list[int]:
    """The cases of a random check: of the department's cases received on (city) days in
    ``[start, end]`` (in id order), ``size`` drawn with ``random.Random(seed)`` — the same
    population and seed always give the same cases. Sorted ids."""
    since = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    until = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))
    population = list(
        Case.objects.filter(
            lead_department_id=department_id, received_at__gte=since, received_at__lt=until
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    chosen = random.Random(seed).sample(population, min(size, len(population)))
    return sorted(chosen)


def inspection_record(
    *,
    user: User,
    kind: str,
    title: str,
    held_on: dt.date,
    summary: str = "",
    unit_id: int | None = None,
    findings: Sequence[FindingInput] = (),
    sample: Mapping[str, Any] | None = None,
) -> Inspection:
    """专项督查 or 暗访 (with findings), or 随机抽查 (``sample``: department_id, start, end,
    size and optionally seed — a new one is drawn and recorded when none is given)."""
    _require_supervisor(user)
    if kind not in (Inspection.Kind.SPECIAL, Inspection.Kind.UNANNOUNCED, Inspection.Kind.RANDOM):
        raise ValidationFailed(_("督查类型无效。"), code="inspection_kind_invalid", field="kind")
    today = clock.today()
    if held_on > today:
        raise ValidationFailed(
            _("督查日期不能晚于今天。"), code="inspection_date_invalid", field="held_on"
        )
    fields: dict[str, Any] = {}
    if kind == Inspection.Kind.RANDOM:
        if not sample:
            raise ValidationFailed(
                _("随机抽查请给出抽样范围。"), code="inspection_sample_missing", field="sample"
            )
        department = _department(int(sample["department_id"]))
        start, end, size = sample["start"], sample["end"], int(sample["size"])
        if end < start or not 1 <= size <= SAMPLE_MAX:
            raise ValidationFailed(
                _("抽样范围或数量无效（1–%(max)s 件）。") % {"max": SAMPLE_MAX},
                code="inspection_sample_invalid",
                field="sample",
            )
        seed = sample.get("seed")
        seed = int(seed) if seed is not None else secrets.randbits(62)
        fields = {
            "sample_department": department,
            "sample_from": start,
            "sample_to": end,
            "sample_size": size,
            "seed": seed,
            "sampled_cases": draw_sample(
                department_id=department.pk, start=start, end=end, size=size, seed=seed
            ),
        }
    elif sample:
        raise ValidationFailed(
            _("只有随机抽查有抽样。"), code="inspection_sample_unexpected", field="sample"
        )
    unit = OrgUnit.objects.filter(pk=unit_id, is_active=True).first() if unit_id else None
    if unit_id and unit is None:
        raise NotFound(_("找不到督查的单位。"), code="unit_not_found", field="unit_id")
    with audited_atomic():
        inspection = Inspection.objects.create(
            kind=kind,
            title=_text(title, "title", limit=200),
            summary=_text(summary, "summary", required=False),
            held_on=held_on,
            unit=unit,
            created_by=user,
            created_at=clock.now(),
            **fields,
        )
        rows = _add_findings(inspection, findings, today)
        audit_record(
            action="inspection.record",
            obj=inspection,
            after={
                "kind": kind,
                "title": inspection.title,
                "unit": unit_id,
                "seed": fields.get("seed"),
                "sampled_cases": fields.get("sampled_cases"),
                "findings": [row.pk for row in rows],
            },
        )
    return inspection


def finding_add(*, user: User, inspection_id: int, finding: FindingInput) -> Finding:
    """A further finding of an inspection (a sampled case examined, say)."""
    _require_supervisor(user)
    inspection = Inspection.objects.filter(pk=inspection_id).first()
    if inspection is None:
        raise NotFound(_("找不到该督查。"), code="inspection_not_found")
    with audited_atomic():
        (row,) = _add_findings(inspection, [finding], clock.today())
        audit_record(
            action="finding.add",
            obj=row,
            after={"inspection": inspection.pk, "department": row.department_id, "text": row.text},
        )
    return row


def finding_rectify(*, user: User, finding_id: int, rectification: str) -> Finding:
    """整改: staff of the department concerned (business permission) record what was done."""
    require_perm(user, Perm.BUSINESS_WRITE)
    rectification = _text(rectification, "rectification")
    with audited_atomic():
        row = Finding.objects.select_for_update(of=("self",)).filter(pk=finding_id).first()
        if row is None or not _answers_for(user, row.department_id):
            raise NotFound(_("找不到该整改任务。"), code="finding_not_found")
        if row.state != Finding.State.OPEN:
            raise Conflict(_("该问题已整改。"), code="finding_rectified")
        row.state = Finding.State.RECTIFIED
        row.rectification = rectification
        row.rectified_at = clock.now()
        row.rectified_by = user
        row.save()
        audit_record(
            action="finding.rectify",
            obj=row,
            before={"state": Finding.State.OPEN},
            after={"state": row.state, "rectification": rectification},
        )
    return row


def officers_for(*, user: User, limit: int = 200) -> list[tuple[ExperienceOfficer, int]]:
    """The experience officers (a supervisor), the latest term's end first, with how many
    reports each has filed."""
    _require_supervisor(user)
    officers = ExperienceOfficer.objects.annotate(report_count=Count("reports")).order_by(
        "-term_end", "pk"
    )[:limit]
    return [(officer, officer.report_count) for officer in officers]


def inspection_get(*, user: User, inspection_id: int) -> Inspection:
    """An inspection or an officer's report (a supervisor)."""
    _require_supervisor(user)
    inspection = Inspection.objects.filter(pk=inspection_id).first()
    if inspection is None:
        raise NotFound(_("找不到该督查。"), code="inspection_not_found")
    return inspection


def _answers_for(user: User, department_id: int) -> bool:
    """Does the user work in the department, or head it (or a unit above it)?"""
    if user.department_id == department_id:
        return True
    from quanban.supervision.escalation import Responsibles

    heads = Responsibles.load()
    return user.pk in heads.holders(Role.DEPARTMENT_HEAD, department_id)


# --- Reads ---------------------------------------------------------------------------------------


def findings_for_user(*, user: User, state: str = "", limit: int = 200) -> list[Finding]:
    """The findings a staff member sees: a supervisor every one; anyone else their department's
    and those of the departments they head. Open ones first, by due day."""
    if getattr(user, "kind", "") != User.Kind.STAFF:
        raise PermissionDenied(_("督查整改仅供工作人员查看。"), code="forbidden")
    rows = Finding.objects.select_related("inspection", "department").order_by(
        "state", "due_on", "pk"
    )
    if not is_supervisor(user):
        from quanban.accounts.models import RoleAssignment

        scope = Q(department_id=user.department_id) if user.department_id else Q(pk__in=[])
        for path in RoleAssignment.objects.filter(user=user, role=Role.DEPARTMENT_HEAD).values_list(
            "org_unit__path", flat=True
        ):
            scope |= Q(department__path__startswith=path)
        rows = rows.filter(scope)
    if state:
        rows = rows.filter(state=state)
    return list(rows[:limit])


def may_rectify(user: User, finding: Finding) -> bool:
    from quanban.accounts.selectors import user_has_perm

    return (
        finding.state == Finding.State.OPEN
        and user_has_perm(user, Perm.BUSINESS_WRITE)
        and _answers_for(user, finding.department_id)
    )


# --- Figures for the rankings ---------------------------------------------------------------------


@dataclass(frozen=True)
class DepartmentFindings:
    department_id: int
    month: dt.date  # the first day
    findings: int  # found in the month (inspections and officers' reports)
    from_officers: int  # of those, in experience officers' reports
    rectified: int  # of those, rectified (by now)
    overdue: int  # of those, open past their due date (as of ``today``)


def findings_by_department(
    *, month_start: dt.date, month_end: dt.date, today: dt.date | None = None
) -> list[DepartmentFindings]:
    """Inspection findings per department and month for days in ``[month_start, month_end)``:
    how many, how many from experience officers, rectified, and open past due on ``today``
    (default: today). One grouped query; sorted by month, then department."""
    today = today or clock.today()
    rows = (
        Finding.objects.filter(found_on__gte=month_start, found_on__lt=month_end)
        .order_by()
        .values_list("found_on__year", "found_on__month", "department_id")
        .annotate(
            n=Count("pk"),
            officers=Count("pk", filter=Q(inspection__kind=Inspection.Kind.OFFICER)),
            rectified=Count("pk", filter=Q(state=Finding.State.RECTIFIED)),
            overdue=Count("pk", filter=Q(state=Finding.State.OPEN, due_on__lt=today)),
        )
    )
    return sorted(
        (
            DepartmentFindings(
                department_id=department_id,
                month=dt.date(year, month, 1),
                findings=n,
                from_officers=officers,
                rectified=rectified,
                overdue=overdue,
            )
            for year, month, department_id, n, officers, rectified, overdue in rows
        ),
        key=lambda row: (row.month, row.department_id),
    )
