"""What each event says: a subject (e-mail, the in-app list) and a text (SMS, e-mail, in-app).

Texts are gettext messages with Chinese source text and named placeholders; ``render`` fills them
in the recipient's language (``translation.override``). Values in the context may be lazy
translations (a choice's label): they are translated in the same language when filled in.

An event marked ``urgent`` ignores quiet hours whoever sends it (a red card must not wait for the
morning); a caller may also make any single message urgent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from quanban.core.errors import ValidationFailed


@dataclass(frozen=True)
class Event:
    subject: Promise
    text: Promise
    urgent: bool = False


EVENTS: dict[str, Event] = {
    # --- The applicant's case (quanban.cases.notifications) ---
    "case_accepted": Event(
        _("办件已受理"),
        _("【全办】您申请的“%(item)s”已受理，办件编号 %(number)s，承诺 %(due)s 前办结。"),
    ),
    "case_supplement": Event(
        _("请补正材料"),
        _("【全办】您申请的“%(item)s”需补正材料，请查看一次性告知书并补齐后提交。"),
    ),
    "case_refused": Event(
        _("申请不予受理"),
        _("【全办】您申请的“%(item)s”不予受理，请查看不予受理通知书中的理由和办理指引。"),
    ),
    "case_suspended": Event(
        _("办件暂停计时"), _("【全办】您的办件 %(number)s 已暂停计时：%(reason)s。")
    ),
    "case_resumed": Event(
        _("办件恢复计时"), _("【全办】您的办件 %(number)s 已恢复计时，承诺 %(due)s 前办结。")
    ),
    "case_decided": Event(
        _("办件已作出决定"), _("【全办】您的办件 %(number)s 已作出决定：%(decision)s。")
    ),
    "case_issued": Event(
        _("办件已办结"), _("【全办】您的办件 %(number)s 已办结，结果已%(delivery)s。")
    ),
    "case_terminated": Event(
        _("办件已终止"), _("【全办】您的办件 %(number)s 已终止办理：%(reason)s。")
    ),
    "case_revoked": Event(
        _("审批决定已撤销"), _("【全办】您的办件 %(number)s 的审批决定已撤销：%(reason)s。")
    ),
    "case_deferral_reminder": Event(
        _("容缺材料补交提醒"),
        _(
            "【全办】提醒：您的办件 %(number)s 容缺受理时承诺补交的材料（%(materials)s）"
            "须于 %(date)s 前补交，逾期未补交将终止办理。"
        ),
    ),
    # --- Staff: cards and 督办 (quanban.supervision) ---
    "card_yellow": Event(
        _("黄牌预警"), _("【全办】黄牌预警：办件 %(number)s 的“%(step)s”环节将于 %(due)s 到期。")
    ),
    "card_red": Event(
        _("红牌"),
        _("【全办】红牌：办件 %(number)s 的“%(step)s”环节已于 %(due)s 超期，请立即办理。"),
        urgent=True,
    ),
    # Several cards for one person at once (a sweep after a stop): the count and the first few,
    # "listed" as "number step (due)" joined by "; ".
    "card_yellow_many": Event(
        _("黄牌预警"),
        _("【全办】黄牌预警：您负责的 %(count)s 个办件环节即将到期，请到“红黄牌”查看：%(listed)s"),
    ),
    "card_red_many": Event(
        _("红牌"),
        _("【全办】红牌：您负责的 %(count)s 个办件环节已超期，请立即办理：%(listed)s"),
        urgent=True,
    ),
    "supervision_note": Event(_("督办"), _("【全办】督办：%(text)s（请于 %(due)s 前办理）")),
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    language: str


def event_get(name: str) -> Event:
    try:
        return EVENTS[name]
    except KeyError:
        raise ValidationFailed(
            f"unknown notification event {name!r}", code="notify_event", field="event"
        ) from None


def language_of(*choices: str) -> str:
    """The first of ``choices`` that the site speaks, else the site's language (Chinese)."""
    known = {code for code, _name in settings.LANGUAGES}
    for choice in choices:
        if choice in known:
            return choice
    return str(settings.LANGUAGE_CODE)


def render(name: str, context: Mapping[str, Any], language: str) -> Rendered:
    """The event's subject and text in ``language``, placeholders filled from ``context``."""
    event = event_get(name)
    with translation.override(language):
        values = {key: str(value) for key, value in context.items()}
        try:
            text = str(event.text) % values
            subject = str(event.subject) % values
        except KeyError as missing:
            raise ValidationFailed(
                f"event {name!r} needs {missing} in its context",
                code="notify_context",
                field="context",
            ) from None
    return Rendered(subject=subject, text=text, language=language)
