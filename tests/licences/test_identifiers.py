"""The national identifier and its MOD 37,36 check character (GB/T 36903)."""

from __future__ import annotations

import pytest

from quanban.core.errors import ValidationFailed
from quanban.licences.identifiers import (
    check_character,
    licence_identifier,
    parse_identifier,
)

PUBLISHED = "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U"


def test_the_published_example_parses_and_its_check_character_is_U():
    parsed = parse_identifier(PUBLISHED)
    assert parsed.type_code == "11100000000013338W011"
    assert parsed.issuer_code == "11430000006122244L"
    assert parsed.serial == "20230000403"
    assert parsed.version == 1
    assert check_character("11100000000013338W011", "11430000006122244L", "20230000403", 1) == "U"
    assert str(parsed) == PUBLISHED


def test_building_from_parts_gives_the_published_identifier():
    built = licence_identifier(
        type_code="11100000000013338W011",
        issuer_code="11430000006122244L",
        serial="20230000403",
        version=1,
    )
    assert str(built) == PUBLISHED


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (PUBLISHED[:-1] + "V", "licence_identifier_check"),  # wrong check character
        (PUBLISHED.replace("20230000403", "20230000404"), "licence_identifier_check"),
        (PUBLISHED.replace(".001.", ".002."), "licence_identifier_check"),
        (
            "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001",
            "licence_identifier_invalid",
        ),
        (
            "2.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U",
            "licence_identifier_invalid",
        ),
        (
            PUBLISHED.replace("W011", "I011"),
            "licence_identifier_invalid",
        ),  # I is not in credit codes
        ("", "licence_identifier_invalid"),
        ("x" * 500, "licence_identifier_invalid"),
    ],
)
def test_a_wrong_identifier_is_refused_with_its_reason(value, code):
    with pytest.raises(ValidationFailed) as raised:
        parse_identifier(value)
    assert raised.value.code == code


def test_lower_case_and_spaces_are_read_as_the_same_identifier():
    assert str(parse_identifier("  " + PUBLISHED.lower() + " ")) == PUBLISHED


def test_every_single_character_change_of_the_middle_parts_is_caught():
    serial = "20230000403"
    caught = 0
    for position in range(len(serial)):
        for char in "0123456789":
            if char == serial[position]:
                continue
            changed = serial[:position] + char + serial[position + 1 :]
            if check_character("11100000000013338W011", "11430000006122244L", changed, 1) != "U":
                caught += 1
    assert caught == len(serial) * 9


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("type_code", {"type_code": "11100000000013338W01"}),
        ("issuer_code", {"issuer_code": "1143000000612224"}),
        ("serial", {"serial": "2023-0403"}),
        ("serial", {"serial": "A" * 21}),
        ("version", {"version": 0}),
        ("version", {"version": 1000}),
    ],
)
def test_parts_of_the_wrong_form_are_refused(field, kwargs):
    parts = {
        "type_code": "11100000000013338W011",
        "issuer_code": "11430000006122244L",
        "serial": "20230000403",
        "version": 1,
    }
    with pytest.raises(ValidationFailed) as raised:
        licence_identifier(**{**parts, **kwargs})
    assert raised.value.field == field
