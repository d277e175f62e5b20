"""末位: the score's weights, versioned (``ScoreWeights``; docs/rankings.md, "Weights").

A period uses the version in force on its first day; a new version takes effect from this month
or a later one, so a closed period's version never changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from quanban.accounts.models import User
from quanban.core import clock
from quanban.core.audit import audit_record
from quanban.core.errors import Conflict, PermissionDenied, ValidationFailed
from quanban.feedback.models import ScoreWeights
from quanban.supervision.selectors import is_supervisor

# The first version's weights (seeded by migration feedback/0003 as version 1). Points for a
# full component; ``complaints_cap`` is the complaints per 1,000 finished cases at which the
# complaints component reaches 0; ``red`` and ``inspection`` are points off each.
DEFAULT_WEIGHTS: dict[str, Decimal] = {
    "satisfaction": Decimal(35),
    "rectification": Decimal(15),
    "complaints": Decimal(15),
    "upheld": Decimal(5),
    "on_time": Decimal(30),
    "complaints_cap": Decimal(10),
    "red": Decimal(1),
    "inspection": Decimal(2),
}
WEIGHT_LABELS = {
    "satisfaction": gettext_lazy("满意率"),
    "rectification": gettext_lazy("差评整改率"),
    "complaints": gettext_lazy("千件投诉量"),
    "upheld": gettext_lazy("投诉不属实率"),
    "on_time": gettext_lazy("按时办结率"),
    "complaints_cap": gettext_lazy("千件投诉量上限"),
    "red": gettext_lazy("每张红牌扣分"),
    "inspection": gettext_lazy("每个督查问题扣分"),
}
WEIGHT_MAX = Decimal(1000)
TWO = Decimal("0.01")


def weights_of(version: ScoreWeights) -> dict[str, Decimal]:
    stored = {key: Decimal(str(value)) for key, value in version.weights.items()}
    return {key: stored.get(key, default) for key, default in DEFAULT_WEIGHTS.items()}


def weights_in_force(start: dt.date) -> ScoreWeights:
    """The newest version in force on ``start``; version 1 (the defaults) when the table was
    emptied (the migration seeds it)."""
    found = ScoreWeights.objects.filter(effective_from__lte=start).order_by("-effective_from")
    version = found.first()
    if version is None:
        version, _created = ScoreWeights.objects.get_or_create(
            version=1,
            defaults={
                "effective_from": dt.date(2000, 1, 1),
                "weights": {key: float(value) for key, value in DEFAULT_WEIGHTS.items()},
                "bottom_n": 1,
                "note": "默认权重",
                "created_at": clock.now(),
            },
        )
    return version


def _clean_weights(raw: Mapping[str, Any], base: Mapping[str, Decimal]) -> dict[str, Decimal]:
    weights = dict(base)
    for key, value in raw.items():
        if key not in DEFAULT_WEIGHTS:
            raise ValidationFailed(
                _("未知的权重项：%(key)s。") % {"key": key}, code="weights_invalid", field=key
            )
        try:
            number = Decimal(str(value).strip())
        except ArithmeticError as error:
            raise ValidationFailed(
                _("权重应为 0 到 1000 之间的数字。"), code="weights_invalid", field=key
            ) from error
        if not number.is_finite() or not Decimal(0) <= number <= WEIGHT_MAX:
            raise ValidationFailed(
                _("权重应为 0 到 1000 之间的数字。"), code="weights_invalid", field=key
            )
        weights[key] = number.quantize(TWO, ROUND_HALF_UP)
    return weights


def score_weights_create(
    *,
    user: User,
    effective_from: dt.date,
    weights: Mapping[str, Any],
    bottom_n: int = 1,
    note: str = "",
) -> ScoreWeights:
    """A new version of the weights, in force from the first of a month (this month or a later
    one: a closed period keeps the version it was computed with). Keys left out keep the
    previous version's values. Supervisors only; audited."""
    if not is_supervisor(user):
        raise PermissionDenied(_("只有督查人员可以设置评分权重。"), code="supervisor_required")
    if (
        isinstance(effective_from, dt.datetime)
        or not isinstance(effective_from, dt.date)
        or effective_from.day != 1
        or effective_from < clock.today().replace(day=1)
    ):
        raise ValidationFailed(
            _("生效月份应为本月或以后的月份。"),
            code="weights_month_invalid",
            field="effective_from",
        )
    if not isinstance(bottom_n, int) or not 1 <= bottom_n <= 100:
        raise ValidationFailed(
            _("末位数应为 1 到 100 之间的整数。"), code="weights_bottom_invalid", field="bottom_n"
        )
    note = (note or "").strip()
    if len(note) > 200 or "\x00" in note:
        raise ValidationFailed(_("说明不超过 200 字。"), code="weights_note_invalid", field="note")
    with transaction.atomic():
        previous = weights_in_force(effective_from)
        clean = _clean_weights(weights, weights_of(previous))
        if ScoreWeights.objects.filter(effective_from=effective_from).exists():
            raise Conflict(
                _("%(month)s 起已有一个权重版本。") % {"month": effective_from.strftime("%Y-%m")},
                code="weights_month_taken",
            )
        number = (
            ScoreWeights.objects.order_by("-version").values_list("version", flat=True).first() or 0
        ) + 1
        created = ScoreWeights.objects.create(
            version=number,
            effective_from=effective_from,
            weights={key: float(value) for key, value in clean.items()},
            bottom_n=bottom_n,
            note=note,
            created_at=clock.now(),
            created_by=user,
        )
        audit_record(
            action="ranking.weights",
            obj=created,
            changes={
                "version": number,
                "effective_from": effective_from.isoformat(),
                "weights": created.weights,
                "bottom_n": bottom_n,
                "previous_version": previous.version,
            },
        )
    return created
