"""The outbox: messages written in the same transaction as the event, delivered by the worker."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    class Channel(models.TextChoices):
        SMS = "sms", _("短信")
        EMAIL = "email", _("电子邮件")
        IN_APP = "in_app", _("站内消息")

    class State(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    channel = models.CharField(_("渠道"), max_length=8, choices=Channel.choices)
    recipient = models.CharField(_("接收人"), max_length=200)
    subject = models.CharField(_("主题"), max_length=200, blank=True)
    body = models.TextField(_("内容"))
    state = models.CharField(_("状态"), max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    created_at = models.DateTimeField(_("创建时间"))
    next_attempt_at = models.DateTimeField(_("下次尝试"), db_index=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    # What the gateway called the message when it accepted it (its receipt).
    gateway_message_id = models.CharField(_("网关消息编号"), max_length=80, blank=True)
    # A message that is useless after a moment (a login code) is not sent once this has passed.
    expires_at = models.DateTimeField(_("失效时间"), null=True, blank=True)
    # The person a message is for, when it is a user: an in-app message always names one (the
    # bell counts by it); SMS and e-mail name one when they went through notify_user.
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收用户"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    # The event the text was rendered from (quanban.notify.events), blank for raw messages.
    event = models.CharField(_("事件"), max_length=40, blank=True)
    urgent = models.BooleanField(_("紧急"), default=False)
    # Where an in-app message leads (a path of this site), blank for none.
    link = models.CharField(_("链接"), max_length=200, blank=True)
    # When the recipient marked an in-app message read (null: unread).
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("待发消息")
        verbose_name_plural = _("待发消息")
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="outbox_due_idx"),
            # The bell: a person's unread in-app messages, counted along this index only.
            models.Index(
                fields=["recipient_user"],
                name="outbox_unread_idx",
                condition=Q(channel="in_app", read_at__isnull=True),
            ),
            # The message list: a person's in-app messages, newest first.
            models.Index(
                fields=["recipient_user", "-created_at"],
                name="outbox_inbox_idx",
                condition=Q(channel="in_app"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="outbox_sent_has_time",
                condition=~models.Q(state="sent") | models.Q(sent_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} → {self.recipient}"


def default_quiet_start() -> dt.time:
    return dt.time(22, 0)


def default_quiet_end() -> dt.time:
    return dt.time(7, 0)


class NotificationPreference(models.Model):
    """How one person wants to be told: channels besides in-app, quiet hours, language.

    No row means the defaults (quanban.notify.services.preference_for): in-app always; SMS on for
    applicants (as before there were preferences), off for staff; e-mail off; quiet hours 22:00 to
    07:00 in the city's time.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="notify_preference",
    )
    sms = models.BooleanField(_("短信"), default=False)
    email = models.BooleanField(_("电子邮件"), default=False)
    # Where e-mail goes; blank: the account's own address.
    email_address = models.EmailField(_("电子邮箱"), blank=True)
    # The language messages are written in; blank: the account's, else the site's (Chinese).
    language = models.CharField(_("消息语言"), max_length=8, blank=True)
    quiet_enabled = models.BooleanField(_("免打扰时段"), default=True)
    quiet_start = models.TimeField(_("免打扰开始"), default=default_quiet_start)
    quiet_end = models.TimeField(_("免打扰结束"), default=default_quiet_end)
    updated_at = models.DateTimeField(_("修改时间"))

    class Meta:
        verbose_name = _("消息通知设置")
        verbose_name_plural = _("消息通知设置")

    def __str__(self) -> str:
        return str(self.user_id)


class NotificationOnce(models.Model):
    """A message that must go out once only (a 容缺 reminder for one case and date) leaves its
    key here, in the transaction that queues it; the unique key stops a second one, even from
    another worker at the same moment."""

    key = models.CharField(max_length=120, unique=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("一次性通知记录")
        verbose_name_plural = _("一次性通知记录")

    def __str__(self) -> str:
        return self.key
