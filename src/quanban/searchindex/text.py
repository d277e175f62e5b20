"""Turning Chinese text into search terms — the same way for documents and for queries.

A Chinese run gives its jieba search-mode words plus every two-character substring, so a
two-character query (餐饮, 户口) finds its items however jieba happened to cut the name. Names and
keywords also give pinyin: the full spelling and the initials of the text from each word start to
the end, so a prefix query (``yyzz``, ``yingye``) finds 营业执照 in the middle of a longer name.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

MAX_TERM_LENGTH = 64
# A pinyin prefix longer than this is cut; nobody types more before the item shows.
MAX_PINYIN_LENGTH = 40

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS = re.compile(rf"[{_CJK}]+|[a-z0-9]+")
_CJK_RUN = re.compile(rf"^[{_CJK}]+$")
_KEYWORD_SPLIT = re.compile(r"[\s,;，；、|/]+")

_jieba_lock = threading.Lock()
_jieba_ready = False


def _jieba() -> Any:
    """jieba, initialised once, quietly, with its dictionary cache under VAR_DIR."""
    global _jieba_ready
    import jieba

    if not _jieba_ready:
        with _jieba_lock:
            if not _jieba_ready:
                from django.conf import settings

                jieba.setLogLevel(logging.WARNING)
                cache_dir = Path(settings.VAR_DIR) / "cache"
                cache_dir.mkdir(parents=True, exist_ok=True)
                jieba.dt.tmp_dir = str(cache_dir)
                jieba.initialize()
                _jieba_ready = True
    return jieba


def normalise(text: str) -> str:
    """Full-width to half-width (NFKC), lower case, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def runs(text: str) -> list[str]:
    """The Chinese runs and the ASCII letter/digit runs of normalised text."""
    return _RUNS.findall(text)


def is_chinese(run: str) -> bool:
    return bool(_CJK_RUN.match(run))


def bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


def _words(run: str) -> list[str]:
    return [w for w in _jieba().cut_for_search(run, HMM=False) if w.strip()]


def chinese_terms(run: str) -> set[str]:
    """jieba's search-mode words of more than one character, and every bigram."""
    terms = {w for w in _words(run) if len(w) > 1}
    terms.update(bigrams(run))
    if len(run) == 1:
        terms.add(run)
    return terms


def word_starts(run: str) -> list[int]:
    """Where the words of a Chinese run begin: 0, and each search-mode word's offset."""
    starts = {0}
    for word in _words(run):
        at = run.find(word)
        while at != -1:
            starts.add(at)
            at = run.find(word, at + 1)
    return sorted(starts)


def pinyin_terms(run: str) -> set[str]:
    """Full pinyin and initials of the run from each word start to its end (cut to a length)."""
    from pypinyin import Style, lazy_pinyin

    full = lazy_pinyin(run, errors="ignore")
    initials = lazy_pinyin(run, style=Style.FIRST_LETTER, errors="ignore")
    if len(full) != len(run) or len(initials) != len(run):
        return set()  # a character without pinyin: offsets would not line up
    terms: set[str] = set()
    for start in word_starts(run):
        for syllables in (full, initials):
            spelled = "".join(syllables[start:])[:MAX_PINYIN_LENGTH]
            if len(spelled) > 1:
                terms.add(spelled)
    return terms


def text_terms(text: str, *, pinyin: bool) -> set[str]:
    """Every term a stored text gives."""
    terms: set[str] = set()
    for run in runs(normalise(text)):
        if is_chinese(run):
            terms |= chinese_terms(run)
            if pinyin:
                terms |= pinyin_terms(run)
        else:
            terms.add(run[:MAX_TERM_LENGTH])
    return terms


@functools.lru_cache(maxsize=50_000)
def text_terms_cached(text: str, *, pinyin: bool) -> frozenset[str]:
    """``text_terms`` remembered: material and department names repeat across thousands of items."""
    return frozenset(text_terms(text, pinyin=pinyin))


def keywords_of(text: str) -> list[str]:
    """A version's keyword field, split on the separators people type."""
    return [k for k in _KEYWORD_SPLIT.split(text) if k]


def iter_terms(texts: Iterable[str], *, pinyin: bool) -> Iterator[str]:
    for text in texts:
        yield from text_terms(text, pinyin=pinyin)
