"""绩效评估: the monthly evaluation of staff, windows, offices and departments (docs/evaluation.md).

One month is computed once and then frozen: its rows are what the month was when it was computed.
A supervisor may recompute it on demand; that replaces the rows, adds one to ``revision`` and
leaves an audit record with the totals before and after. The worker computes the previous month
on the first working day of each month (``evaluation_compute_previous_month``).

What is counted (a case counts in the month when the moment named falls in it, city time):

- received (收件数): cases received in the month — the staff member who received them first
  (``first_responder``), the window, and the lead office and department they were routed to.
- accepted (受理数): cases accepted in the month — who accepted (``accepted_by``), window, lead
  office, lead department.
- finished (办结数): cases whose result was handed over in the month (state 办结, or 撤销 for a
  告知承诺 approval revoked afterwards; terminations do not count) — for staff, whoever decided
  the case or handed the result over, once a case each; window, lead office, lead department.
- finished on time (按时办结数): of those, the ones finished on or before the promised day
  (``promised_due``, which already moved for suspensions and extensions).
- yellow and red cards (黄牌数, 红牌数): card events whose level began in the month — the task's
  assignee, the task's office (a case's own card: its lead office), the card's department.
  Windows receive no cards (cards are raised on the departments' work).
- ratings (评价数, 平均评价) and complaints (投诉数): from the feedback app
  (``_feedback_figures``).

Everything is counted by the database: one pass over the month's cases (a narrow selection held
once, then grouped by each subject column), one over the month's cards, and the rows inserted in
bulk. No case is loaded into Python.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal
from io import BytesIO
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, connection, transaction
from django.db.models import Case as Choose
from django.db.models import Count, F, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from quanban.accounts.models import User
from quanban.cases.models import Case
from quanban.core import clock, workdays
from quanban.core.audit import audit_record
from quanban.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from quanban.feedback.selectors import ratings_by_subject
from quanban.supervision.models import CardEvent, EvaluationMonth, EvaluationRow
from quanban.supervision.selectors import is_supervisor

Scope = EvaluationRow.Scope

# The score's weights when the setting leaves one out (docs/evaluation.md).
DEFAULT_WEIGHTS: dict[str, Decimal] = {
    "on_time": Decimal(100),
    "rating": Decimal(0),
    "yellow": Decimal(1),
    "red": Decimal(3),
    "complaint": Decimal(5),
}
MAX_SCORE = Decimal("9999.99")  # what the column holds
FINISHED_STATES = (Case.State.FINISHED, Case.State.REVOKED)
ROW_BATCH = 2000


@dataclass
class Figures:
    received: int = 0
    accepted: int = 0
    finished: int = 0
    finished_on_time: int = 0
    yellow_cards: int = 0
    red_cards: int = 0
    ratings: int = 0
    rating_average: Decimal | None = None
    complaints: int = 0


Subject = tuple[str, int]  # (scope, user id for staff or org unit id)


# --- Weights and the score ----------------------------------------------------------------------


def evaluation_weights(raw: str | Mapping[str, Any] | None = None) -> dict[str, Decimal]:
    """The score's weights from the setting (``"on_time=100,red=3"``; a mapping is taken too)."""
    raw = settings.EVALUATION_WEIGHTS if raw is None else raw
    given: dict[str, Any]
    if isinstance(raw, Mapping):
        given = dict(raw)
    else:
        given = {}
        for part in str(raw).split(","):
            if part.strip():
                key, _sep, value = part.partition("=")
                given[key.strip()] = value.strip()
    weights = dict(DEFAULT_WEIGHTS)
    for key, value in given.items():
        if key not in DEFAULT_WEIGHTS:
            raise ImproperlyConfigured(
                f"QUANBAN_EVALUATION_WEIGHTS: unknown weight {key!r} "
                f"(known: {', '.join(DEFAULT_WEIGHTS)})"
            )
        try:
            number = Decimal(str(value))
        except ArithmeticError as error:
            raise ImproperlyConfigured(
                f"QUANBAN_EVALUATION_WEIGHTS: {key}={value!r} is not a number"
            ) from error
        if not number.is_finite() or number < 0:
            raise ImproperlyConfigured(f"QUANBAN_EVALUATION_WEIGHTS: {key} must be 0 or more")
        weights[key] = number
    return weights


def on_time_rate(finished: int, finished_on_time: int) -> Decimal | None:
    """按时办结率 as a fraction (0–1), four places; None when nothing was finished."""
    if not finished:
        return None
    return (Decimal(finished_on_time) / Decimal(finished)).quantize(
        Decimal("0.0001"), ROUND_HALF_UP
    )


def score_of(figures: Figures, weights: Mapping[str, Decimal]) -> Decimal:
    """综合得分 = on_time × on-time rate + rating × (average rating ÷ 5)
    − yellow × yellow cards − red × red cards − complaint × complaints, at least 0, two places.

    A part with nothing to measure counts in full: no case finished means none finished late, no
    rating means none was bad (so people who only receive at the window are not marked down).
    """
    rate = Decimal(figures.finished_on_time) / figures.finished if figures.finished else Decimal(1)
    rating = figures.rating_average / 5 if figures.rating_average is not None else Decimal(1)
    raw = (
        weights["on_time"] * rate
        + weights["rating"] * rating
        - weights["yellow"] * figures.yellow_cards
        - weights["red"] * figures.red_cards
        - weights["complaint"] * figures.complaints
    )
    return min(max(raw, Decimal(0)), MAX_SCORE).quantize(Decimal("0.01"), ROUND_HALF_UP)


# --- Months -------------------------------------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def previous_month(month: dt.date) -> dt.date:
    return (month.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def first_working_day(month: dt.date) -> dt.date:
    """The month's first working day on the working-day calendar (2026-10 → 2026-10-08)."""
    return workdays.next_working_day(month.replace(day=1) - dt.timedelta(days=1))


def _bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The month as [start, end) in the city's time zone."""
    tz = timezone.get_default_timezone()
    start = dt.datetime.combine(month, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(next_month(month), dt.time.min, tzinfo=tz)
    return start, end


# --- The counting (set-based) -------------------------------------------------------------------


def _flag(condition: Q) -> Choose:
    return Choose(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


def _finished_in(start: dt.datetime, end: dt.datetime) -> tuple[Q, Q]:
    """办结 in ``[start, end)`` and, of those, 按时办结 (on or before the promised day, city
    time; needs the ``finished_on`` annotation of ``_with_finished_on``)."""
    finished = Q(finished_at__gte=start, finished_at__lt=end, state__in=FINISHED_STATES)
    on_time = finished & Q(promised_due__isnull=False, finished_on__lte=F("promised_due"))
    return finished, on_time


def _with_finished_on(cases: QuerySet[Case]) -> QuerySet[Case]:
    return cases.annotate(
        finished_on=TruncDate("finished_at", tzinfo=timezone.get_default_timezone())
    )


def finished_by_window_and_department(start: dt.date, end: dt.date) -> list[tuple[Any, ...]]:
    """Cases finished on the city's days ``[start, end)``, counted as the evaluation counts
    them: ``(window id, lead department id, finished, finished on time)`` per pair, one grouped
    statement (the rankings, ``quanban.feedback.rankings``, map windows to halls and districts)."""
    tz = timezone.get_default_timezone()
    finished, on_time = _finished_in(
        dt.datetime.combine(start, dt.time.min, tzinfo=tz),
        dt.datetime.combine(end, dt.time.min, tzinfo=tz),
    )
    return list(
        _with_finished_on(Case.objects.order_by().filter(finished))
        .values_list("window_id", "lead_department_id")
        .annotate(n=Count("pk"), ontime=Sum(_flag(on_time)))
    )


def _month_cases(start: dt.datetime, end: dt.datetime) -> QuerySet[Any]:
    """The month's cases as narrow rows: the subject columns and one flag per figure."""
    received = Q(received_at__gte=start, received_at__lt=end)
    accepted = Q(accepted_at__gte=start, accepted_at__lt=end)
    finished, on_time = _finished_in(start, end)
    return _with_finished_on(Case.objects.order_by().filter(received | accepted | finished)).values(
        "first_responder_id",
        "accepted_by_id",
        "decided_by_id",
        "issued_by_id",
        "window_id",
        "lead_office_id",
        "lead_department_id",
        rec=_flag(received),
        acc=_flag(accepted),
        fin=_flag(finished),
        ontime=_flag(on_time),
    )


# Each arm groups the month's rows by one subject column: (scope, subject, received, accepted,
# finished, finished on time).
_CASE_ARMS = f"""
SELECT '{Scope.STAFF}' AS scope, first_responder_id AS subject, SUM(rec) AS received,
       0 AS accepted, 0 AS finished, 0 AS on_time
  FROM m WHERE rec = 1 AND first_responder_id IS NOT NULL GROUP BY first_responder_id
UNION ALL
SELECT '{Scope.STAFF}', accepted_by_id, 0, SUM(acc), 0, 0
  FROM m WHERE acc = 1 AND accepted_by_id IS NOT NULL GROUP BY accepted_by_id
UNION ALL
SELECT '{Scope.STAFF}', decided_by_id, 0, 0, SUM(fin), SUM(ontime)
  FROM m WHERE fin = 1 AND decided_by_id IS NOT NULL GROUP BY decided_by_id
UNION ALL
SELECT '{Scope.STAFF}', issued_by_id, 0, 0, SUM(fin), SUM(ontime)
  FROM m WHERE fin = 1 AND issued_by_id IS NOT NULL
   AND (decided_by_id IS NULL OR decided_by_id <> issued_by_id) GROUP BY issued_by_id
UNION ALL
SELECT '{Scope.WINDOW}', window_id, SUM(rec), SUM(acc), SUM(fin), SUM(ontime)
  FROM m WHERE window_id IS NOT NULL GROUP BY window_id
UNION ALL
SELECT '{Scope.OFFICE}', lead_office_id, SUM(rec), SUM(acc), SUM(fin), SUM(ontime)
  FROM m WHERE lead_office_id IS NOT NULL GROUP BY lead_office_id
UNION ALL
SELECT '{Scope.DEPARTMENT}', lead_department_id, SUM(rec), SUM(acc), SUM(fin), SUM(ontime)
  FROM m WHERE lead_department_id IS NOT NULL GROUP BY lead_department_id
"""


def _case_figures(month: dt.date, into: dict[Subject, Figures]) -> None:
    start, end = _bounds(month)
    inner, params = _month_cases(start, end).query.sql_with_params()
    # PostgreSQL keeps a CTE read more than once in memory: the case table is scanned once.
    sql = f"WITH m AS ({inner}) {_CASE_ARMS}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for scope, subject, received, accepted, finished, on_time in cursor.fetchall():
            figures = into.setdefault((scope, subject), Figures())
            figures.received += int(received or 0)
            figures.accepted += int(accepted or 0)
            figures.finished += int(finished or 0)
            figures.finished_on_time += int(on_time or 0)


def _card_figures(month: dt.date, into: dict[Subject, Figures]) -> None:
    cards = CardEvent.objects.order_by().filter(due_on__gte=month, due_on__lt=next_month(month))
    yellow = Count("pk", filter=Q(level="yellow"))
    red = Count("pk", filter=Q(level="red"))
    by_subject: list[tuple[str, QuerySet[Any]]] = [
        (
            Scope.STAFF,
            cards.filter(task__assignee__isnull=False).values(subject=F("task__assignee_id")),
        ),
        (
            Scope.OFFICE,
            cards.annotate(subject=Coalesce("task__office_id", "case__lead_office_id"))
            .filter(subject__isnull=False)
            .values("subject"),
        ),
        (Scope.DEPARTMENT, cards.values(subject=F("department_id"))),
    ]
    for scope, grouped in by_subject:
        for row in grouped.annotate(yellow=yellow, red=red).values_list("subject", "yellow", "red"):
            figures = into.setdefault((scope, row[0]), Figures())
            figures.yellow_cards += row[1]
            figures.red_cards += row[2]


def cards_by_department_and_window(start: dt.date, end: dt.date) -> list[tuple[Any, ...]]:
    """Card events whose level began on days ``[start, end)`` (as the evaluation counts them):
    ``(card's department id, the case's window id, yellow, red)`` per pair, one statement."""
    return list(
        CardEvent.objects.order_by()
        .filter(due_on__gte=start, due_on__lt=end)
        .values_list("department_id", "case__window_id")
        .annotate(
            yellow=Count("pk", filter=Q(level="yellow")), red=Count("pk", filter=Q(level="red"))
        )
    )


def _feedback_figures(month: dt.date, into: dict[Subject, Figures]) -> None:
    """Ratings (好差评) and complaints (找茬) of the month, as the feedback app counts them for the
    evaluation (``quanban.feedback.selectors.ratings_by_subject``, docs/feedback.md): current
    ratings given in the month by the staff member, window, office and department they copied from
    their case or visit (how many, the average level, 5 the best); complaints filed in the month
    by the staff member named, the office their follow-up is assigned to, and the department
    answerable. Seven grouped statements."""
    for subject in ratings_by_subject(month_start=month, month_end=next_month(month)):
        figures = into.setdefault((subject.scope, subject.subject_id), Figures())
        figures.ratings = subject.ratings
        figures.rating_average = subject.rating_average
        figures.complaints = subject.complaints


def evaluation_figures(month: dt.date) -> dict[Subject, Figures]:
    """Every subject's figures for the month, counted by the database."""
    figures: dict[Subject, Figures] = {}
    _case_figures(month, figures)
    _card_figures(month, figures)
    _feedback_figures(month, figures)
    return figures


# --- The services -------------------------------------------------------------------------------


def _totals(evaluation: EvaluationMonth) -> dict[str, int]:
    """What the audit record keeps: rows a scope, and the departments' sums (every routed case
    has exactly one lead department, so those add up to the city's)."""
    totals: dict[str, int] = {
        f"rows_{scope}": count
        for scope, count in evaluation.rows.order_by()
        .values_list("scope")
        .annotate(n=Count("pk"))
        .values_list("scope", "n")
    }
    names = ["received", "accepted", "finished", "finished_on_time", "yellow_cards", "red_cards"]
    sums = evaluation.rows.filter(scope=Scope.DEPARTMENT).aggregate(
        **{name: Coalesce(Sum(name), 0) for name in names}
    )
    totals.update({name: int(sums[name]) for name in names})
    return totals


def _rows(
    evaluation: EvaluationMonth, figures: Mapping[Subject, Figures]
) -> Iterable[EvaluationRow]:
    weights = {key: Decimal(str(value)) for key, value in evaluation.weights.items()}
    values = [f.name for f in fields(Figures)]
    for (scope, subject), figure in figures.items():
        staff = scope == Scope.STAFF
        yield EvaluationRow(
            evaluation=evaluation,
            scope=scope,
            user_id=subject if staff else None,
            org_unit_id=None if staff else subject,
            score=score_of(figure, weights),
            **{name: getattr(figure, name) for name in values},
        )


def evaluation_compute(
    *, month: dt.date, user: User | None = None, recompute: bool = False
) -> EvaluationMonth:
    """Compute (or, by a supervisor, recompute) the evaluation of ``month`` (any day of it).

    Without ``user`` it is the worker. A computed month is frozen: computing it again is refused
    (``evaluation_frozen``) unless a supervisor recomputes on purpose, which replaces its rows,
    adds one to its revision and is audited with the totals before and after.
    """
    if isinstance(month, dt.datetime) or not isinstance(month, dt.date):
        raise ValidationFailed(
            _("请选择评估月份。"), code="evaluation_month_required", field="month"
        )
    month = month_start(month)
    if user is not None and not is_supervisor(user):
        raise PermissionDenied(
            _("只有督查人员可以计算或重新计算绩效评估。"), code="supervisor_required"
        )
    if recompute and user is None:
        raise PermissionDenied(_("重新计算须由督查人员操作。"), code="supervisor_required")
    if month >= month_start(clock.today()):
        raise ValidationFailed(
            _("只能评估已经结束的月份。"), code="evaluation_month_not_over", field="month"
        )
    label = month.strftime("%Y-%m")
    weights = evaluation_weights()
    with transaction.atomic():
        existing = EvaluationMonth.objects.select_for_update().filter(month=month).first()
        if existing is not None and not recompute:
            raise Conflict(
                _("%(month)s 的绩效评估已计算并冻结；如需重新计算，请督查人员使用“重新计算”。")
                % {"month": label},
                code="evaluation_frozen",
            )
        if existing is None and recompute:
            raise NotFound(
                _("%(month)s 的绩效评估尚未计算。") % {"month": label},
                code="evaluation_not_found",
            )
        figures = evaluation_figures(month)
        before = None
        if existing is None:
            try:
                with transaction.atomic():
                    evaluation = EvaluationMonth.objects.create(
                        month=month,
                        weights={key: float(value) for key, value in weights.items()},
                        computed_at=clock.now(),
                        computed_by=user,
                    )
            except IntegrityError as error:  # another worker computed it at the same moment
                raise Conflict(
                    _("%(month)s 的绩效评估已计算并冻结。") % {"month": label},
                    code="evaluation_frozen",
                ) from error
        else:
            evaluation = existing
            before = _totals(evaluation)
            EvaluationRow.objects.filter(evaluation=evaluation).delete()
            evaluation.weights = {key: float(value) for key, value in weights.items()}
            evaluation.computed_at = clock.now()
            evaluation.computed_by = user
            evaluation.revision += 1
            evaluation.save(update_fields=["weights", "computed_at", "computed_by", "revision"])
        EvaluationRow.objects.bulk_create(_rows(evaluation, figures), batch_size=ROW_BATCH)
        audit_record(
            action="evaluation.recompute" if before is not None else "evaluation.compute",
            obj=evaluation,
            changes={
                "month": label,
                "revision": evaluation.revision,
                "weights": evaluation.weights,
                "before": before,
                "after": _totals(evaluation),
            },
        )
    return evaluation


def evaluation_compute_previous_month(*, today: dt.date | None = None) -> EvaluationMonth | None:
    """The worker's monthly run: from the first working day of a month on, compute the month
    before once. Later runs (and a second worker racing this one) find it done and do nothing;
    a worker that was down on the first working day catches up on its next run."""
    today = today or clock.today()
    if today < first_working_day(today):
        return None
    month = previous_month(today)
    if EvaluationMonth.objects.filter(month=month).exists():
        return None
    try:
        return evaluation_compute(month=month)
    except Conflict:
        return None


# --- Excel --------------------------------------------------------------------------------------

SHEETS = (
    (Scope.STAFF, gettext_lazy("工作人员")),
    (Scope.WINDOW, gettext_lazy("窗口")),
    (Scope.OFFICE, gettext_lazy("处(科)室")),
    (Scope.DEPARTMENT, gettext_lazy("部门")),
)
WEIGHT_LABELS = {
    "on_time": gettext_lazy("按时办结率权重"),
    "rating": gettext_lazy("评价权重"),
    "yellow": gettext_lazy("每张黄牌扣分"),
    "red": gettext_lazy("每张红牌扣分"),
    "complaint": gettext_lazy("每件投诉扣分"),
}


def evaluation_workbook(*, evaluation: EvaluationMonth, rows: Iterable[EvaluationRow]) -> bytes:
    """The month as an Excel file: a sheet a scope (rows as given), and one with how it was made.

    ``rows`` come from the selector (the reader's own), with their user and unit loaded.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    about = book.active
    about.title = _("说明")
    by_scope: dict[str, list[EvaluationRow]] = {scope: [] for scope, _label in SHEETS}
    for row in rows:
        by_scope[row.scope].append(row)
    headers = [
        _("评估对象"),
        _("所属单位"),
        _("收件数"),
        _("受理数"),
        _("办结数"),
        _("按时办结数"),
        _("按时办结率"),
        _("黄牌数"),
        _("红牌数"),
        _("评价数"),
        _("平均评价"),
        _("投诉数"),
        _("综合得分"),
    ]
    for scope, title in SHEETS:
        sheet = book.create_sheet(str(title))
        sheet.append(headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in by_scope[scope]:
            rate = on_time_rate(row.finished, row.finished_on_time)
            sheet.append(
                [
                    row_name(row),
                    row_parent(row),
                    row.received,
                    row.accepted,
                    row.finished,
                    row.finished_on_time,
                    float(rate) if rate is not None else None,
                    row.yellow_cards,
                    row.red_cards,
                    row.ratings,
                    float(row.rating_average) if row.rating_average is not None else None,
                    row.complaints,
                    float(row.score),
                ]
            )
            sheet.cell(row=sheet.max_row, column=7).number_format = "0.00%"
        sheet.freeze_panes = "A2"
        sheet.column_dimensions["A"].width = 24
        sheet.column_dimensions["B"].width = 28
    about.append([_("评估月份"), evaluation.month.strftime("%Y-%m")])
    about.append([_("计算次数"), evaluation.revision])
    about.append(
        [_("计算时间"), timezone.localtime(evaluation.computed_at).strftime("%Y-%m-%d %H:%M")]
    )
    for key, value in evaluation.weights.items():
        about.append([str(WEIGHT_LABELS.get(key, key)), value])
    about.column_dimensions["A"].width = 20
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def row_name(row: EvaluationRow) -> str:
    if row.user is not None:
        return row.user.display_name or row.user.username
    return row.org_unit.name if row.org_unit is not None else ""


def row_parent(row: EvaluationRow) -> str:
    """The staff member's department, the office's department, the window's hall."""
    if row.user is not None:
        return row.user.department.name if row.user.department is not None else ""
    unit = row.org_unit
    if unit is not None and unit.parent is not None and row.scope != Scope.DEPARTMENT:
        return unit.parent.name
    return ""
