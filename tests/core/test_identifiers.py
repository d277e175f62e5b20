"""Check-digit validation of ID numbers and credit codes, with messages that say what is wrong."""

from __future__ import annotations

import pytest
from django.utils import translation

from quanban.core.errors import ValidationFailed
from quanban.core.identifiers import (
    id_number_check_digit,
    uscc_check_digit,
    validate_id_number,
    validate_phone,
    validate_uscc,
)

# Real-format numbers whose check characters are right (see the reference computations below).
VALID_IDS = ["11010519491231002X", "370102199001011231", "440524198001010013"]
VALID_USCC = ["91350100M000100Y43", "91110000600037341L", "11370100MB0000015P"]


def reference_id_check(body: str) -> str:
    """GB 11643 written out from the standard, to cross-check the library."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]


def reference_uscc_check(body: str) -> str:
    """GB 32100 written out from the standard."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    total = sum(alphabet.index(c) * pow(3, i, 31) for i, c in enumerate(body))
    return alphabet[(31 - total % 31) % 31]


@pytest.mark.parametrize("number", VALID_IDS)
def test_reference_agrees_on_valid_ids(number):
    assert reference_id_check(number[:17]) == number[17] == id_number_check_digit(number[:17])


@pytest.mark.parametrize("code", VALID_USCC)
def test_reference_agrees_on_valid_credit_codes(code):
    assert reference_uscc_check(code[:17]) == code[17] == uscc_check_digit(code[:17])


def _error(fn, value):
    with pytest.raises(ValidationFailed) as caught:
        fn(value)
    return caught.value


@pytest.mark.parametrize("number", VALID_IDS)
def test_valid_id_numbers_pass(number):
    assert validate_id_number(number) == number


def test_id_number_is_compacted_and_upper_cased():
    assert validate_id_number(" 11010519491231002x ") == "11010519491231002X"


def test_id_number_wrong_check_digit_names_the_expected_one():
    error = _error(validate_id_number, "370102199001011237")
    assert error.code == "id_number_checksum"
    assert error.extra == {"position": 18, "expected": "1"}
    assert str(error) == "公民身份号码校验位不符：第 18 位应为 1，实为 7。"


def test_id_number_bad_character_names_its_position():
    error = _error(validate_id_number, "3701021990A1011231")
    assert (error.code, error.extra["position"]) == ("id_number_character", 11)
    assert "第 11 位“A”" in str(error)


def test_id_number_length():
    error = _error(validate_id_number, "37010219900101")
    assert (error.code, str(error)) == (
        "id_number_length",
        "公民身份号码应为 18 位，当前为 14 位。",
    )


def test_id_number_impossible_birth_date():
    body = "37010219901301123"  # month 13
    error = _error(validate_id_number, body + reference_id_check(body))
    assert error.code == "id_number_birth_date"


@pytest.mark.parametrize("code", VALID_USCC)
def test_valid_credit_codes_pass(code):
    assert validate_uscc(code) == code


def test_credit_code_wrong_check_digit():
    error = _error(validate_uscc, "91350100M000100Y44")
    assert error.code == "uscc_checksum"
    assert error.extra == {"position": 18, "expected": "3"}


@pytest.mark.parametrize(
    ("code", "position"),
    [("91350100M0001O0Y43", 14), ("9135010AM000100Y43", 8), ("91350100M000100S43", 16)],
)
def test_credit_code_forbidden_character_names_its_position(code, position):
    error = _error(validate_uscc, code)
    assert (error.code, error.extra["position"]) == ("uscc_character", position)


def test_messages_follow_the_active_language():
    with translation.override("en"):
        error = _error(validate_id_number, "370102199001011237")
    assert (
        str(error) == "Check digit of the citizen ID number fails: character 18 should be 1, not 7."
    )


@pytest.mark.parametrize(
    ("raw", "clean"), [("138 1234 5678", "13812345678"), ("+8613912345678", "13912345678")]
)
def test_phone_numbers_are_normalised(raw, clean):
    assert validate_phone(raw) == clean


def test_bad_phone_is_refused():
    assert _error(validate_phone, "12345").code == "phone_format"
