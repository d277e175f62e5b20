"""The demo city's routing rules and a handful of cases, so every inbox and the portal have work.

Built through the real services, as the people named would have done it, on the day the demo is
loaded. If the working-day calendar does not cover that day (the next year's holidays are not
loaded yet), the cases are skipped and the demo still loads.
"""

from __future__ import annotations

from django.db import transaction

from quanban.accounts.models import LegalEntity, NaturalPerson, OrgUnit, User
from quanban.cases import services
from quanban.cases.models import Case, Channel, RoutingRule, Task
from quanban.catalogue.models import ItemVersion
from quanban.core.context import acting_as, actor_for_user
from quanban.core.workdays import CalendarNotCovered

# (department key's full name, office name, item names or () for the department's default).
ROUTING: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    (
        "济南市行政审批服务局",
        "市场准入审批处",
        (),
        "市行政审批服务局的事项默认由市场准入审批处主办",
    ),
    (
        "济南市行政审批服务局",
        "投资建设审批处",
        ("建筑工程施工许可证核发", "建设工程竣工联合验收"),
        "工程建设项目审批由投资建设审批处主办",
    ),
)


def _user(username: str) -> User:
    return User.objects.get(username=username)


def _published(name: str) -> ItemVersion:
    return ItemVersion.objects.get(name=name, state=ItemVersion.State.PUBLISHED)


def _owed_ids(case: Case) -> list[int]:
    """The materials of the applicant's own list that the window must have (all handed in)."""
    return list(
        case.materials.filter(material__necessity__in=["1", "3"]).values_list(
            "material_id", flat=True
        )
    )


def _window(hall: str, name: str) -> OrgUnit:
    return OrgUnit.objects.get(parent__name=hall, name=name, kind=OrgUnit.Kind.WINDOW)


def _complete(username: str, case: Case, outcome: str, opinion: str) -> None:
    user = _user(username)
    with acting_as(actor_for_user(user)):
        task = Task.objects.get(case=case, state="open", department__in=_units_of(user))
        services.task_complete(user=user, task=task, outcome=outcome, opinion=opinion)


def _units_of(user: User) -> list[int]:
    from quanban.cases.selectors import work_unit_ids

    return work_unit_ids(user)


def _window_case(
    clerk: str,
    item: str,
    applicant: NaturalPerson | LegalEntity,
    *,
    window: str = "综合受理窗口 1",
    accept: bool = True,
) -> Case:
    user = _user(clerk)
    version = _published(item)
    with acting_as(actor_for_user(user)):
        case = services.case_receive(
            user=user,
            item_version=version,
            applicant=applicant,
            channel=Channel.OFFLINE_ONE_WINDOW,
            answers={},
            window=_window("济南市民中心", window),
        )
        if accept:
            case = services.case_accept(user=user, case=case, received_material_ids=_owed_ids(case))
    return case


def demo_cases_load() -> dict[str, int]:
    """Load the routing rules and the demo cases; returns their counts."""
    rules = 0
    for department, office, items, note in ROUTING:
        department_unit = OrgUnit.objects.get(name=department, kind=OrgUnit.Kind.DEPARTMENT)
        office_unit = OrgUnit.objects.get(parent=department_unit, name=office)
        for item in items or (None,):
            RoutingRule.objects.create(
                item=_published(item).item if item else None,
                department=department_unit,
                office=office_unit,
                priority=10 if item else 0,
                note=note,
            )
            rules += 1
    try:
        with transaction.atomic():
            cases = _load_cases()
    except CalendarNotCovered:
        cases = 0
    return {"routing_rules": rules, "cases": cases}


def _load_cases() -> int:
    persons = list(NaturalPerson.objects.order_by("pk"))
    companies = list(LegalEntity.objects.order_by("pk"))
    # 企业开办一件事: reviewed, one of three co-reviews done; the other two wait in their inboxes.
    opening = _window_case(
        "clerk01", "企业开办一件事（设立登记、公章刻制、发票申领、社保登记）", companies[0]
    )
    _complete("reviewer01", opening, "pass", "申请材料齐全，符合法定形式")
    _complete("reviewer03", opening, "agree", "同意办理设立登记")
    # 食品生产许可: waiting for review at the market regulator.
    _window_case("clerk02", "食品生产许可", companies[1], window="综合受理窗口 2")
    # 建筑工程施工许可证核发: routed to the investment and construction office.
    _window_case("clerk03", "建筑工程施工许可证核发", companies[3], window="综合受理窗口 3")
    # 即办: a temporary ID card, finished in one sitting.
    clerk = _user("clerk01")
    version = _published("临时居民身份证申领")
    with acting_as(actor_for_user(clerk)):
        case = services.case_receive(
            user=clerk,
            item_version=version,
            applicant=persons[0],
            channel=Channel.OFFLINE_ONE_WINDOW,
            answers={},
            window=_window("济南市民中心", "综合受理窗口 1"),
        )
        services.case_finish_on_the_spot(
            user=clerk, case=case, received_material_ids=_owed_ids(case)
        )
        # 不予受理, with the reason, the basis and where to go instead.
        refused = _window_case("clerk01", "居住证申领", persons[1], accept=False)
        services.case_refuse(
            user=clerk,
            case=refused,
            reason="申请人户籍在本市，不属于居住证申领对象",
            legal_basis="《居住证暂行条例》第二条",
            guidance="户籍人员办理身份证件请到户籍所在地派出所或市民中心公安窗口",
        )
    # 网上申报: waiting for a clerk of the online window to accept it.
    citizen = persons[0].user
    assert citizen is not None
    with acting_as(actor_for_user(citizen, channel="web")):
        services.case_submit_online(
            user=citizen,
            item_version=_published("普通护照签发"),
            answers={},
            form_data={"出境事由": "旅游", "紧急联系人": "李秀英"},
        )
    return Case.objects.count()
