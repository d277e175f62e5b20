"""The feedback events' texts, added to the notification registry (quanban.notify.events).

Registered from the app's ``ready()`` so that ``notify_user`` / ``notify_phone`` render them in
the recipient's language like every other event.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from quanban.notify import events

EVENTS: dict[str, events.Event] = {
    "rating_invite": events.Event(
        _("请评价办件"),
        _("【全办】您的办件 %(number)s 已办结，请对本次服务评价：%(link)s（%(hours)s 小时内有效）"),
    ),
    "followup_opened": events.Event(
        _("差评回访整改"),
        _(
            "【全办】%(source)s 已交由本单位回访整改：请于 %(contact_due)s 前回访，"
            "%(rectify_due)s 前整改并答复。"
        ),
    ),
    "followup_reply": events.Event(_("评价回访"), _("【全办】您反映的问题已有答复：%(text)s")),
    "followup_rectified": events.Event(
        _("整改情况"),
        _("【全办】您反映的问题已整改：%(text)s。请在“我的评价与投诉”中确认是否满意。"),
    ),
    # Cards on follow-ups (quanban.supervision.followup_sweep): "listed" as "#id step (due)".
    "followup_card_yellow": events.Event(
        _("回访整改黄牌预警"),
        _("【全办】黄牌预警：本单位 %(count)s 件差评或投诉的回访整改即将到期：%(listed)s"),
    ),
    "followup_card_red": events.Event(
        _("回访整改红牌"),
        _("【全办】红牌：本单位 %(count)s 件差评或投诉的回访整改已超期，请立即办理：%(listed)s"),
        urgent=True,
    ),
    "appeal_decided": events.Event(
        _("评价申诉复核结果"),
        _("【全办】您对评价 #%(rating)s 的申诉已复核：%(decision)s。%(note)s"),
    ),
}


def register_events() -> None:
    for name, event in EVENTS.items():
        events.EVENTS.setdefault(name, event)
