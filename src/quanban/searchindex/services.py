"""Writes to search configuration: the synonyms list. Every function here audits what it changes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from quanban.accounts.roles import Perm
from quanban.accounts.selectors import require_perm
from quanban.core import clock
from quanban.core.audit import audit_record
from quanban.core.errors import ValidationFailed
from quanban.searchindex import text
from quanban.searchindex.models import Synonym
from quanban.searchindex.query import synonyms_invalidate

MAX_SYNONYMS = 20
MAX_SYNONYM_LENGTH = 32


def _clean(value: str, *, field: str) -> str:
    cleaned = text.normalise(value)
    if not cleaned:
        raise ValidationFailed(_("同义词和搜索词不能为空。"), code="synonym_empty", field=field)
    if len(cleaned) > MAX_SYNONYM_LENGTH:
        raise ValidationFailed(
            _("“%(value)s”过长：最多 %(max)s 个字。")
            % {"value": cleaned[:MAX_SYNONYM_LENGTH], "max": MAX_SYNONYM_LENGTH},
            code="synonym_too_long",
            field=field,
        )
    return cleaned


def synonym_set(*, user: Any, term: str, synonyms: Iterable[str]) -> Synonym | None:
    """Set what searching ``term`` also searches; an empty list removes the entry.

    Returns the entry, or None when it was removed (or there was none to remove).
    """
    require_perm(user, Perm.SEARCH_ADMIN)
    term = _clean(term, field="term")
    cleaned: list[str] = []
    for synonym in synonyms:
        value = _clean(synonym, field="synonyms")
        if value != term and value not in cleaned:
            cleaned.append(value)
    if len(cleaned) > MAX_SYNONYMS:
        raise ValidationFailed(
            _("一个搜索词最多设置 %(max)s 个同义词。") % {"max": MAX_SYNONYMS},
            code="synonym_too_many",
            field="synonyms",
        )
    with transaction.atomic():
        # Now for this process's next search, and again once other connections can see it.
        transaction.on_commit(synonyms_invalidate)
        synonyms_invalidate()
        entry = Synonym.objects.select_for_update().filter(term=term).first()
        before = {"term": term, "synonyms": entry.synonyms} if entry else None
        if not cleaned:
            if entry is None:
                return None
            entry.delete()
            audit_record(
                action="search_synonym.remove",
                object_type="searchindex.synonym",
                object_id=term,
                before=before,
                after=None,
            )
            return None
        if entry is not None and entry.synonyms == cleaned:
            return entry  # nothing to change, nothing to record
        if entry is None:
            entry = Synonym(term=term)
        entry.synonyms = cleaned
        entry.updated_at = clock.now()
        entry.updated_by = user if getattr(user, "pk", None) else None
        entry.save()
        audit_record(
            action="search_synonym.set",
            object_type="searchindex.synonym",
            object_id=term,
            before=before,
            after={"term": term, "synonyms": cleaned},
        )
    return entry
