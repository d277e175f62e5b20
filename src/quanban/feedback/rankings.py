"""末位: quantified scores and rankings of departments, districts and halls (docs/rankings.md).

A period (a month or a year) is counted by the database in four grouped statements — the
period's current ratings (with their bad ratings' rectification), its complaints, its finished
cases (as the evaluation counts them: ``supervision.evaluation.finished_by_window_and_department``)
and its red cards (``supervision.evaluation.cards_by_department_and_window``) — each grouped by
the few columns that name a department, hall or district; the small grouped rows are then summed
into the three lists in Python. No rating, complaint or case is loaded into Python.

The weights are versioned (``ScoreWeights``): a period uses the version in force on its first
day and keeps it; the version is shown beside every published score.

A period still running is provisional and refreshed by the worker; computed after it ended, it
is closed (frozen). A supervisor may recompute a closed period on purpose: audited, with the
totals before and after, and ``revision`` one up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from quanban.accounts.models import OrgUnit, User
from quanban.core import clock
from quanban.core.audit import audit_record
from quanban.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from quanban.feedback.models import (
    BAD_AT_MOST,
    Complaint,
    RankingPeriod,
    RankingRow,
    Rating,
)
from quanban.feedback.ranking_weights import weights_in_force, weights_of
from quanban.supervision.evaluation import (
    cards_by_department_and_window,
    finished_by_window_and_department,
    first_working_day,
    next_month,
    previous_month,
)
from quanban.supervision.rollups import district_map
from quanban.supervision.selectors import is_supervisor

Kind = RankingPeriod.Kind
Scope = RankingRow.Scope

MAX_SCORE = Decimal("9999.99")
ROW_BATCH = 2000
FOUR = Decimal("0.0001")
TWO = Decimal("0.01")


@dataclass
class Components:
    """What one subject did in a period."""

    ratings: int = 0
    good_ratings: int = 0
    bad_ratings: int = 0
    rectified: int = 0
    finished: int = 0
    finished_on_time: int = 0
    complaints: int = 0
    verified_complaints: int = 0
    upheld_complaints: int = 0
    red_cards: int = 0
    inspection_findings: int | None = None


Subject = tuple[str, int]  # (scope, org unit id)


# --- Periods -------------------------------------------------------------------------------------


def period_bounds(kind: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The month or year holding ``day`` as ``[start, end)``."""
    if kind == Kind.MONTH:
        start = day.replace(day=1)
        return start, next_month(start)
    if kind == Kind.YEAR:
        return dt.date(day.year, 1, 1), dt.date(day.year + 1, 1, 1)
    raise ValidationFailed(_("排名类型应为月度或年度。"), code="ranking_kind_invalid", field="kind")


def previous_start(kind: str, start: dt.date) -> dt.date:
    if kind == Kind.MONTH:
        return previous_month(start)
    return dt.date(start.year - 1, 1, 1)


# --- The components and the score ----------------------------------------------------------------


def ratio(part: int | None, whole: int) -> Decimal | None:
    if part is None or not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(FOUR, ROUND_HALF_UP)


def per_thousand(complaints: int, finished: int) -> Decimal | None:
    if not finished:
        return None
    return (Decimal(complaints) * 1000 / Decimal(finished)).quantize(TWO, ROUND_HALF_UP)


def score_of(c: Components, weights: Mapping[str, Decimal]) -> Decimal:
    """综合得分 (docs/rankings.md):

    satisfaction × 满意率 + rectification × 差评整改率 + complaints × max(0, 1 − 千件投诉量 ÷
    complaints_cap) + upheld × (1 − 投诉属实率) + on_time × 按时办结率 − red × 红牌 − inspection ×
    督查问题, at least 0, two places (half up). 投诉属实率 is over the complaints a supervisor
    verified. A component with nothing to measure counts in full (no rating: none was bad; no
    finished case: none was late or complained of; no verified complaint: none upheld).
    """
    one = Decimal(1)
    satisfaction = Decimal(c.good_ratings) / c.ratings if c.ratings else one
    rectification = Decimal(c.rectified) / c.bad_ratings if c.bad_ratings else one
    on_time = Decimal(c.finished_on_time) / c.finished if c.finished else one
    if not c.finished:
        complaints = one
    elif weights["complaints_cap"] == 0:
        complaints = one if c.complaints == 0 else Decimal(0)
    else:
        rate = Decimal(c.complaints) * 1000 / c.finished
        complaints = max(Decimal(0), one - rate / weights["complaints_cap"])
    if c.verified_complaints:
        upheld = one - Decimal(c.upheld_complaints) / c.verified_complaints
    else:
        upheld = one
    raw = (
        weights["satisfaction"] * satisfaction
        + weights["rectification"] * rectification
        + weights["complaints"] * complaints
        + weights["upheld"] * upheld
        + weights["on_time"] * on_time
        - weights["red"] * c.red_cards
        - weights["inspection"] * (c.inspection_findings or 0)
    )
    return min(max(raw, Decimal(0)), MAX_SCORE).quantize(TWO, ROUND_HALF_UP)


# --- The counting (set-based) --------------------------------------------------------------------


def inspection_findings(start: dt.date, end: dt.date) -> dict[Subject, int] | None:
    """督查 findings per department found in ``[start, end)`` (quanban.supervision.inspections:
    special and unannounced inspections, random checks and experience officers' reports). A
    finding names a department, so halls and districts are not charged with any."""
    from quanban.supervision.inspections import findings_by_department

    out: dict[Subject, int] = {}
    for row in findings_by_department(month_start=start, month_end=end):
        key = (Scope.DEPARTMENT, row.department_id)
        out[key] = out.get(key, 0) + row.findings
    return out


def _places(
    into: dict[Subject, Components], department: int | None, hall: int | None, district: int | None
) -> list[Components]:
    out = []
    for scope, unit in (
        (Scope.DEPARTMENT, department),
        (Scope.HALL, hall),
        (Scope.DISTRICT, district),
    ):
        if unit is not None:
            out.append(into.setdefault((scope, unit), Components()))
    return out


def ranking_figures(start: dt.date, end: dt.date) -> dict[Subject, Components]:
    """Every department's, hall's and district's components over the days ``[start, end)``.

    - ratings (好差评): current ratings given on those days, by the department, hall and
      district they copied when given; good = 基本满意 or better; bad ratings and, of those, the
      ones whose follow-up has been rectified (整改, ``rectified_at``) by now;
    - complaints (找茬) filed on those days: the department answerable, the hall complained of
      (else the hall of the case's window), the district of that hall (else of the case's window,
      else of the department); of those, the ones a supervisor verified (核实) and found upheld;
    - cases finished on those days and finished on time, as the evaluation counts them: the
      lead department, the hall of the window, the district of the window (else of the lead
      department) — the ratings' rule;
    - red cards whose level began on those days: the card's department, the hall and district of
      the case's window (else the department's district).
    """
    district_of = district_map((OrgUnit.Kind.WINDOW, OrgUnit.Kind.DEPARTMENT, OrgUnit.Kind.HALL))
    hall_of: dict[int, int] = dict(
        OrgUnit.objects.filter(
            kind=OrgUnit.Kind.WINDOW, parent__kind=OrgUnit.Kind.HALL
        ).values_list("pk", "parent_id")
    )

    def area(window: int | None, department: int | None) -> int | None:
        return district_of.get(window) if window is not None else district_of.get(department or 0)

    out: dict[Subject, Components] = {}
    rectified = Q(level__lte=BAD_AT_MOST, follow_up__rectified_at__isnull=False)
    for department, hall, district, n, bad, fixed in (
        Rating.objects.order_by()
        .filter(superseded=False, rated_on__gte=start, rated_on__lt=end)
        .values_list("department_id", "hall_id", "district_id")
        .annotate(
            n=Count("pk"),
            bad=Count("pk", filter=Q(level__lte=BAD_AT_MOST)),
            fixed=Count("pk", filter=rectified),
        )
    ):
        for c in _places(out, department, hall, district):
            c.ratings += n
            c.good_ratings += n - bad
            c.bad_ratings += bad
            c.rectified += fixed
    for department, hall, window, n, verified, upheld in (
        Complaint.objects.order_by()
        .filter(created_on__gte=start, created_on__lt=end)
        .values_list("department_id", "hall_id", "case__window_id")
        .annotate(
            n=Count("pk"),
            verified=Count("pk", filter=Q(upheld__isnull=False)),
            upheld_n=Count("pk", filter=Q(upheld=True)),
        )
    ):
        hall = hall or hall_of.get(window or 0)
        district = district_of.get(hall) if hall is not None else area(window, department)
        for c in _places(out, department, hall, district):
            c.complaints += n
            c.verified_complaints += verified
            c.upheld_complaints += upheld
    for window, department, n, on_time in finished_by_window_and_department(start, end):
        for c in _places(out, department, hall_of.get(window or 0), area(window, department)):
            c.finished += n
            c.finished_on_time += int(on_time or 0)
    for department, window, _yellow, red in cards_by_department_and_window(start, end):
        if red:
            for c in _places(out, department, hall_of.get(window or 0), area(window, department)):
                c.red_cards += red
    findings = inspection_findings(start, end)
    if findings is not None:
        for c in out.values():
            c.inspection_findings = 0
        for subject, n in findings.items():
            out.setdefault(subject, Components()).inspection_findings = n
    return out


def _ranked(
    period: RankingPeriod,
    figures: Mapping[Subject, Components],
    weights: Mapping[str, Decimal],
    bottom_n: int,
    previous: Mapping[Subject, int],
) -> Iterable[RankingRow]:
    """Each list in order: by score, highest first (ties share a place: 1, 2, 2, 4; shown by
    name); the last ``bottom_n`` places, and any tied with them, are 末位 — never the first place
    (a list of one has no bottom; a list where everyone ties neither)."""
    names = dict(
        OrgUnit.objects.filter(pk__in={unit for _scope, unit in figures}).values_list("pk", "name")
    )
    for scope in Scope.values:
        scored = sorted(
            (
                (score_of(c, weights), names.get(unit, ""), unit, c)
                for (s, unit), c in figures.items()
                if s == scope
            ),
            key=lambda row: (-row[0], row[1], row[2]),
        )
        ranks: list[int] = []
        for index, (score, *_rest) in enumerate(scored):
            ranks.append(ranks[-1] if index and score == scored[index - 1][0] else index + 1)
        cut = ranks[max(len(scored) - bottom_n, 0)] if scored else 0
        for (score, _name, unit, c), rank in zip(scored, ranks, strict=True):
            yield RankingRow(
                period=period,
                scope=scope,
                unit_id=unit,
                ratings=c.ratings,
                good_ratings=c.good_ratings,
                bad_ratings=c.bad_ratings,
                rectified=c.rectified,
                finished=c.finished,
                finished_on_time=c.finished_on_time,
                complaints=c.complaints,
                verified_complaints=c.verified_complaints,
                upheld_complaints=c.upheld_complaints,
                red_cards=c.red_cards,
                inspection_findings=c.inspection_findings,
                satisfaction_rate=ratio(c.good_ratings, c.ratings),
                rectification_rate=ratio(c.rectified, c.bad_ratings),
                on_time_rate=ratio(c.finished_on_time, c.finished),
                complaints_per_1000=per_thousand(c.complaints, c.finished),
                upheld_share=ratio(c.upheld_complaints, c.verified_complaints),
                score=score,
                rank=rank,
                previous_rank=previous.get((scope, unit)),
                bottom=rank >= cut and rank > 1,
            )


# --- The services --------------------------------------------------------------------------------


def _totals(period: RankingPeriod) -> dict[str, Any]:
    """What the audit record keeps: rows a list, the departments' sums, the bottom of each."""
    totals: dict[str, Any] = {
        f"rows_{scope}": n
        for scope, n in period.rows.order_by().values_list("scope").annotate(n=Count("pk"))
    }
    names = ["ratings", "complaints", "finished", "finished_on_time", "red_cards"]
    sums = period.rows.filter(scope=Scope.DEPARTMENT).aggregate(
        **{name: Coalesce(Sum(name), 0) for name in names}
    )
    totals.update({name: int(sums[name]) for name in names})
    totals["bottom"] = sorted(
        [scope, unit]
        for scope, unit in period.rows.filter(bottom=True).values_list("scope", "unit_id")
    )
    return totals


def ranking_compute(
    *, kind: str, day: dt.date, user: User | None = None, recompute: bool = False
) -> RankingPeriod:
    """Compute the ranking of the month or year holding ``day``.

    Without ``user`` it is the worker; with a user, only a supervisor. A period still running is
    provisional and computed again at will; computed after it ended it is closed (frozen):
    computing it again is refused (``ranking_frozen``) unless a supervisor recomputes it, which
    replaces its rows with the weights version in force on its first day (the same one: later
    versions take effect from this month on), adds one to ``revision`` and is audited with the
    totals before and after.
    """
    if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
        raise ValidationFailed(
            _("请选择排名期间。"), code="ranking_period_required", field="period"
        )
    start, end = period_bounds(kind, day)
    if user is not None and not is_supervisor(user):
        raise PermissionDenied(_("只有督查人员可以计算排名。"), code="supervisor_required")
    if recompute and user is None:
        raise PermissionDenied(_("重新计算须由督查人员操作。"), code="supervisor_required")
    today = clock.today()
    if start > today:
        raise ValidationFailed(
            _("不能计算尚未开始的期间。"), code="ranking_period_future", field="period"
        )
    label = start.strftime("%Y") if kind == Kind.YEAR else start.strftime("%Y-%m")
    over = today >= end
    with transaction.atomic():
        existing = RankingPeriod.objects.select_for_update().filter(kind=kind, start=start).first()
        if existing is not None and existing.closed and not recompute:
            raise Conflict(
                _("%(period)s 的排名已定稿；如需重新计算，请督查人员使用“重新计算”。")
                % {"period": label},
                code="ranking_frozen",
            )
        if recompute and (existing is None or not existing.closed):
            raise NotFound(
                _("%(period)s 的排名尚未定稿，无需重新计算。") % {"period": label},
                code="ranking_not_closed",
            )
        version = weights_in_force(start)
        weights = weights_of(version)
        figures = ranking_figures(start, end)
        previous = {
            (scope, unit): rank
            for scope, unit, rank in RankingRow.objects.filter(
                period__kind=kind, period__start=previous_start(kind, start)
            ).values_list("scope", "unit_id", "rank")
        }
        before = None
        if existing is None:
            try:
                with transaction.atomic():
                    period = RankingPeriod.objects.create(
                        kind=kind,
                        start=start,
                        end=end,
                        weights=version,
                        closed=over,
                        computed_at=clock.now(),
                        computed_by=user,
                    )
            except IntegrityError as error:  # another worker at the same moment
                raise Conflict(
                    _("%(period)s 的排名正在计算或已定稿。") % {"period": label},
                    code="ranking_frozen",
                ) from error
        else:
            period = existing
            before = _totals(period)
            RankingRow.objects.filter(period=period).delete()
            if recompute:
                period.revision += 1
            period.weights = version
            period.closed = over
            period.computed_at = clock.now()
            period.computed_by = user
            period.save(
                update_fields=["weights", "closed", "computed_at", "computed_by", "revision"]
            )
        RankingRow.objects.bulk_create(
            _ranked(period, figures, weights, version.bottom_n, previous), batch_size=ROW_BATCH
        )
        audit_record(
            action="ranking.recompute" if recompute else "ranking.compute",
            obj=period,
            changes={
                "kind": kind,
                "period": label,
                "closed": period.closed,
                "revision": period.revision,
                "weights_version": version.version,
                "before": before,
                "after": _totals(period),
            },
        )
    return period


def _compute_quietly(kind: str, day: dt.date) -> RankingPeriod | None:
    try:
        return ranking_compute(kind=kind, day=day)
    except Conflict:
        return None


def ranking_compute_due(*, today: dt.date | None = None) -> list[str]:
    """The worker's hourly run: from a month's first working day on, close the month before
    (and in January the year before) once; then refresh this month's provisional ranking.
    Returns the periods computed (``month:2026-06``)."""
    today = today or clock.today()
    done: list[RankingPeriod | None] = []
    if today >= first_working_day(today):
        month = previous_month(today)
        if not RankingPeriod.objects.filter(kind=Kind.MONTH, start=month, closed=True).exists():
            done.append(_compute_quietly(Kind.MONTH, month))
        last_year = dt.date(today.year - 1, 1, 1)
        if (
            today.month == 1
            and not RankingPeriod.objects.filter(
                kind=Kind.YEAR, start=last_year, closed=True
            ).exists()
        ):
            done.append(_compute_quietly(Kind.YEAR, last_year))
    done.append(_compute_quietly(Kind.MONTH, today))
    return [f"{p.kind}:{p.label}" for p in done if p is not None]


def ranking_year_refresh(*, today: dt.date | None = None) -> str | None:
    """The worker's nightly run: this year's provisional ranking so far."""
    period = _compute_quietly(Kind.YEAR, today or clock.today())
    return f"{period.kind}:{period.label}" if period is not None else None
