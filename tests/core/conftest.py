"""A row whose every write shows: the day's case-number counter, for tests of how writes are sent."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

TEST_DAY = "2026-06-15"


@dataclass(frozen=True)
class Counter:
    day: str = TEST_DAY

    @property
    def bump(self) -> tuple[str, list[object]]:
        """One more on the counter: a write that needs nothing back."""
        return "UPDATE cases_casenumbercounter SET last = last + 1 WHERE day = %s", [self.day]

    def value(self) -> int:
        from quanban.cases.models import CaseNumberCounter

        return CaseNumberCounter.objects.get(day=self.day).last


@pytest.fixture
def counter(db) -> Counter:
    from quanban.cases.models import CaseNumberCounter

    CaseNumberCounter.objects.create(day=TEST_DAY, last=0)
    return Counter()
