"""An applicant reads their own cases only (``case_get_for_applicant``): the ones of their person,
of their company, or that they submitted; anyone else's is "not found", as is a missing one."""

from __future__ import annotations

import pytest
import time_machine

from quanban.accounts import services as accounts
from quanban.cases import selectors, services
from quanban.cases.models import Case
from quanban.core.errors import NotFound
from tests import factories
from tests.api.case_journey import A_MONDAY
from tests.catalogue import helpers

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _a_covered_monday():
    with time_machine.travel(A_MONDAY, tick=False):
        yield


def received(city, clerk, version, applicant) -> Case:
    return services.case_receive(
        user=clerk,
        item_version=version,
        applicant=applicant,
        channel="8",
        answers={},
        window=city.window,
        received_material_ids=[version.materials.get().pk],
    )


def test_an_applicant_reads_their_persons_their_companys_and_their_submitted_cases_only(
    city, clerk
):
    version = helpers.published(city.department)
    owner, other = factories.make_citizen("13905310011"), factories.make_citizen("13905310012")
    person = accounts.person_register(
        name="李四", id_number=factories.valid_id_number(seq="511"), user=owner
    )
    company = accounts.entity_register(
        name="济南某某餐饮有限公司",
        uscc=factories.valid_uscc(51),
        legal_representative="李四",
        user=owner,
    )
    stranger = accounts.person_register(name="王五", id_number=factories.valid_id_number(seq="512"))
    by_person = received(city, clerk, version, person)
    by_company = received(city, clerk, version, company)
    submitted = received(city, clerk, version, stranger)
    Case.objects.filter(pk=submitted.pk).update(submitted_by=owner)
    for case in (by_person, by_company, submitted):
        read = selectors.case_get_for_applicant(user=owner, case_id=case.pk)
        assert (read.pk, read.item_version.name) == (case.pk, "食品经营许可")
        with pytest.raises(NotFound):
            selectors.case_get_for_applicant(user=other, case_id=case.pk)
    with pytest.raises(NotFound):
        selectors.case_get_for_applicant(user=owner, case_id=987654321)
