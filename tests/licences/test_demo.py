"""The demo licence library: a type per (licence name, holder kind) the published items name."""

from __future__ import annotations

from quanban.licences import seals
from quanban.licences.demo import demo_licence_types_load, demo_seal_keys_load
from quanban.licences.models import LicenceType
from quanban.licences.services import licence_type_for
from tests.catalogue import helpers


def test_types_from_the_items_with_holder_kinds_and_sequences(city, seal_store):
    helpers.published(city.department, result_licence_type="营业执照", service_objects=["2"])
    helpers.published(city.department, result_licence_type="营业执照", service_objects=["1"])
    helpers.published(city.department, result_licence_type="营业执照", service_objects=["1", "2"])
    helpers.published(
        city.other_department, result_licence_type="食品经营许可证", service_objects=["2"]
    )
    helpers.published(city.other_department, service_objects=["2"])  # no licence

    assert demo_licence_types_load() == 3
    assert demo_licence_types_load() == 0  # a second load adds nothing
    rows = list(
        LicenceType.objects.order_by("code").values_list(
            "code", "name", "holder_kind", "validity_years", "defining_department"
        )
    )
    assert rows == sorted(
        [
            (city.department.uscc + "001", "营业执照", "001", None, city.department.pk),
            (city.department.uscc + "002", "营业执照", "111", None, city.department.pk),
            (
                city.other_department.uscc + "001",
                "食品经营许可证",
                "001",
                5,
                city.other_department.pk,
            ),
        ]
    )
    assert licence_type_for("营业执照", holder_kind="111").code == city.department.uscc + "002"
    assert licence_type_for("营业执照", holder_kind="001").code == city.department.uscc + "001"

    assert demo_seal_keys_load() == 2
    assert demo_seal_keys_load() == 0
    assert len(seals.seal_keys_list(department_code=city.other_department.uscc)) == 1
