"""The case clock's events: suspensions (挂起/恢复) and extensions (延长审批).

Each is kept as a row and audited; due dates move when a suspension ends or an extension is
decided, on the case and on its open tasks.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from quanban.accounts.models import User
from quanban.accounts.roles import Perm, Role
from quanban.accounts.selectors import require_perm
from quanban.cases.models import Case, CaseExtension, CaseSuspension
from quanban.cases.notifications import applicant_notify
from quanban.cases.services import runtime
from quanban.cases.services._common import (
    CLOCK_FIELDS,
    State,
    audit,
    case_snapshot,
    extension_added,
    lock,
    open_suspension,
    recompute_clock,
    save,
    suspension_added,
)
from quanban.core import clock
from quanban.core.audit import audited_atomic
from quanban.core.errors import Conflict, PermissionDenied, ValidationFailed

# The legal ceiling of one extension (行政许可法 Art. 42: 10 working days; joint handling 15).
MAX_EXTENSION_DAYS = 15
# Who may decide an extension: an approver or a head of the lead department.
EXTENSION_ROLES = frozenset({Role.APPROVER, Role.OFFICE_HEAD, Role.DEPARTMENT_HEAD})


def case_suspend(
    *, user: User, case: Case, kind: str, reason: str, expected_version: int | None = None
) -> CaseSuspension:
    """Stop an accepted case's clock from today (挂起: 补正, 现场核查, 技术审查, 专家评审, 听证).

    Today's working day already does not count. The due dates keep their last values while the
    suspension runs (their new values are not known until it ends) and are recomputed by
    :func:`case_resume`. A case has at most one running suspension.
    """
    require_perm(user, Perm.BUSINESS_WRITE)
    if kind not in CaseSuspension.Kind.values:
        raise ValidationFailed(
            _("未知的挂起类型：%(kind)s") % {"kind": kind},
            code="suspension_kind_unknown",
            field="kind",
        )
    reason = reason.strip()
    if not reason:
        raise ValidationFailed(
            _("挂起必须写明理由。"), code="suspension_reason_required", field="reason"
        )
    with audited_atomic():
        locked = lock(case, expected_version=expected_version)
        if locked.state != State.ACCEPTED:
            raise Conflict(
                _("办件当前为“%(state)s”，只有已受理的办件可以挂起。")
                % {"state": locked.get_state_display()},
                code="case_state",
                extra={"state": locked.state, "action": "suspend"},
            )
        if open_suspension(locked) is not None:
            raise Conflict(_("办件已挂起，请先恢复。"), code="case_already_suspended")
        before = case_snapshot(locked)
        now = clock.now()
        suspension = CaseSuspension.objects.create(
            case=locked,
            kind=kind,
            reason=reason,
            started_on=clock.today(),
            started_by=user,
            created_at=now,
        )
        suspension_added(locked)
        save(locked, now=now, fields=())
        audit(
            "suspend",
            locked,
            before,
            suspension=suspension.pk,
            kind=kind,
            reason=reason,
            started_on=suspension.started_on.isoformat(),
        )
        applicant_notify(locked, "suspended")
    return suspension


def case_resume(*, user: User, case: Case, expected_version: int | None = None) -> Case:
    """End the case's running suspension today and move its due dates (恢复计时).

    Today is the suspension's last day (it does not count either); the clock runs again on the
    next working day. The dates are recomputed from all of the case's suspensions.
    """
    require_perm(user, Perm.BUSINESS_WRITE)
    with audited_atomic():
        locked = lock(case, expected_version=expected_version)
        suspension = open_suspension(locked)
        if suspension is None:
            raise Conflict(_("办件未挂起，无需恢复。"), code="case_not_suspended")
        before = case_snapshot(locked)
        now = clock.now()
        today = clock.today()
        suspension.ended_on = today
        suspension.ended_by = user
        suspension.save(update_fields=["ended_on", "ended_by"])
        recompute_clock(locked, today=today)
        save(locked, now=now, fields=CLOCK_FIELDS)
        runtime.tasks_reclock(locked, today=today)
        audit(
            "resume",
            locked,
            before,
            suspension=suspension.pk,
            ended_on=today.isoformat(),
        )
        applicant_notify(locked, "resumed")
    return locked


def case_extend(
    *, user: User, case: Case, days: int, reason: str, expected_version: int | None = None
) -> CaseExtension:
    """延长审批: an approver (or a head) of the lead department gives the case more working days.

    Both limits and the open tasks' due dates move by the extension.
    """
    require_perm(user, Perm.BUSINESS_WRITE)
    if isinstance(days, bool) or not isinstance(days, int) or not 0 < days <= MAX_EXTENSION_DAYS:
        raise ValidationFailed(
            _("延长的工作日应为 1 至 %(n)d 天。") % {"n": MAX_EXTENSION_DAYS},
            code="extension_days_invalid",
            field="days",
        )
    reason = reason.strip()
    if not reason:
        raise ValidationFailed(
            _("延长审批必须写明理由。"), code="extension_reason_required", field="reason"
        )
    with audited_atomic():
        locked = lock(case, expected_version=expected_version)
        if locked.state != State.ACCEPTED:
            raise Conflict(
                _("办件当前为“%(state)s”，只有在办的办件可以延长审批。")
                % {"state": locked.get_state_display()},
                code="case_state",
                extra={"state": locked.state, "action": "extend"},
            )
        assert locked.lead_department is not None
        if not runtime.user_has_role_in(user, EXTENSION_ROLES, locked.lead_department):
            raise PermissionDenied(
                _("只有主办部门的审批人员或负责人可以决定延长审批。"), code="extension_not_allowed"
            )
        if open_suspension(locked) is not None:
            raise Conflict(_("办件已挂起，请先恢复再延长。"), code="case_suspended")
        before = case_snapshot(locked)
        now = clock.now()
        today = clock.today()
        extension = CaseExtension.objects.create(
            case=locked,
            days=days,
            reason=reason,
            decided_on=today,
            decided_by=user,
            created_at=now,
        )
        extension_added(locked)
        recompute_clock(locked, today=today)
        save(locked, now=now, fields=CLOCK_FIELDS)
        runtime.tasks_reclock(locked, today=today, extra_days=days)
        audit("extend", locked, before, extension=extension.pk, days=days, reason=reason)
    return extension
