"""The exchange codes of ratings: the one place that maps our values to the interfaces' codes.

Levels are stored as a satisfaction score (5 非常满意 … 1 非常不满意). The national data standard
(GB/T 39046 table 9) codes them the other way round (1 非常满意 … 5 非常不满意); common provincial
interfaces code them like our score (1 非常不满意 … 5 非常满意). Both live here, and only here
(tests/feedback/test_codes.py pins them).
"""

from __future__ import annotations

from quanban.feedback.models import Level, RaterKind, RatingChannel

NATIONAL = "national"
PROVINCIAL = "provincial"
DIRECTIONS = (NATIONAL, PROVINCIAL)

# Our level → the code, per direction.
LEVEL_CODES: dict[str, dict[int, str]] = {
    NATIONAL: {
        Level.VERY_SATISFIED: "1",
        Level.SATISFIED: "2",
        Level.BASICALLY_SATISFIED: "3",
        Level.DISSATISFIED: "4",
        Level.VERY_DISSATISFIED: "5",
    },
    PROVINCIAL: {
        Level.VERY_SATISFIED: "5",
        Level.SATISFIED: "4",
        Level.BASICALLY_SATISFIED: "3",
        Level.DISSATISFIED: "2",
        Level.VERY_DISSATISFIED: "1",
    },
}

# Rating channels (评价渠道): 1 PC, 2 mobile, 3 QR code, 4 hall tablet, 5 other hall terminal,
# 6 SMS (STANDARDS.md).
CHANNEL_CODES: dict[str, str] = {
    RatingChannel.PORTAL: "1",
    RatingChannel.MOBILE: "2",
    RatingChannel.PAD: "4",
    RatingChannel.KIOSK: "5",
    RatingChannel.SMS: "6",
}

# Rater (评价人类型): 1 person, 2 legal entity — our stored values already are the codes.
RATER_CODES: dict[str, str] = {RaterKind.PERSON: "1", RaterKind.ENTITY: "2"}


def level_code(level: int, direction: str = NATIONAL) -> str:
    return LEVEL_CODES[direction][level]


def level_from_code(code: str, direction: str = NATIONAL) -> int:
    """Our level from an interface's code; KeyError for a code the direction does not know."""
    reverse = {value: key for key, value in LEVEL_CODES[direction].items()}
    return int(reverse[str(code)])
