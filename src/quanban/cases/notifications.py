"""What the applicant is told, and when: one SMS per step that matters to them, via the outbox.

Written in the same transaction as the change (quanban.notify.services.outbox_enqueue), so a
message goes out exactly when the change commits and never for a change rolled back. An
applicant without a phone number on record gets none (they see everything in the portal).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from quanban.cases.models import Case
from quanban.notify.models import OutboxMessage
from quanban.notify.services import outbox_enqueue

EVENTS = (
    "accepted",
    "supplement",
    "refused",
    "suspended",
    "resumed",
    "decided",
    "issued",
    "terminated",
    "revoked",
)


def _text(case: Case, event: str) -> str:
    item = case.item_version.name
    number = case.number or ""
    texts = {
        "accepted": _(
            "【全办】您申请的“%(item)s”已受理，办件编号 %(number)s，承诺 %(due)s 前办结。"
        ),
        "supplement": _("【全办】您申请的“%(item)s”需补正材料，请查看一次性告知书并补齐后提交。"),
        "refused": _(
            "【全办】您申请的“%(item)s”不予受理，请查看不予受理通知书中的理由和办理指引。"
        ),
        "suspended": _("【全办】您的办件 %(number)s 已暂停计时：%(reason)s。"),
        "resumed": _("【全办】您的办件 %(number)s 已恢复计时，承诺 %(due)s 前办结。"),
        "decided": _("【全办】您的办件 %(number)s 已作出决定：%(decision)s。"),
        "issued": _("【全办】您的办件 %(number)s 已办结，结果已%(delivery)s。"),
        "terminated": _("【全办】您的办件 %(number)s 已终止办理：%(reason)s。"),
        "revoked": _("【全办】您的办件 %(number)s 的审批决定已撤销：%(reason)s。"),
    }
    suspension = (
        case.suspensions.filter(ended_on__isnull=True).first() if event == "suspended" else None
    )
    return texts[event] % {
        "item": item,
        "number": number,
        "due": case.promised_due.isoformat() if case.promised_due else "",
        "decision": case.get_decision_display(),
        "delivery": case.get_delivery_display(),
        "reason": (
            suspension.reason
            if event == "suspended" and suspension
            else case.termination_note or case.revocation_reason or case.get_termination_display()
        ),
    }


def applicant_notify(case: Case, event: str) -> OutboxMessage | None:
    """Queue the applicant's SMS for ``event`` (one of EVENTS); None without a phone number."""
    assert event in EVENTS, event
    phone = case.person.phone if case.person is not None else case.entity.phone  # type: ignore[union-attr]
    if not phone:
        return None
    return outbox_enqueue(
        channel=OutboxMessage.Channel.SMS, recipient=phone, body=_text(case, event)
    )
