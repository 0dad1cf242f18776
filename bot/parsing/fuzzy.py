"""Fuzzy matching of client names the way a manager types them (typos, prefixes, ё/е)."""

from __future__ import annotations

import copy
import re
import unicodedata
from bisect import bisect_left
from collections.abc import Hashable, Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    import numpy as np

K = TypeVar("K")


def _numpy() -> Any:
    """numpy, imported on the first search: start-up does not pay its 10 MB for a bot that
    has not been asked to find anyone yet."""
    import numpy

    return numpy


# Scoring model (all scores are 0–100):
#   * exact normalized match of the query with a name (or alias)       -> 100
#   * otherwise every query word is scored against the best word of the name:
#       same word -> 100; the query word is a prefix of the name word -> 85..95 (longer typed
#       prefix = higher); a word within the typo budget -> its Indel ratio (capped at 95);
#       anything else -> 0.  Word scores are averaged weighted by query-word length and scaled by
#       _WORD_SCALE, so "иван" in "Иван Петров" (97) never ties with an exact "Иван" (100).
#   * typo budget (OSA distance, a transposition counts as one typo): none for words under 4
#     letters, one for 4–7 letters, two for 8+ (roughly what Meilisearch/Algolia do).  This keeps
#     "Петрв"→"Петров" and "Ивна"→"Иван" but rejects "мария"→"марина" (2 edits in 6 letters),
#     which plain fuzz.ratio would score 72.7 — above the default cutoff of 70.
#
# Why not a single rapidfuzz scorer.  Measured on the ordering table in tests/test_fuzzy.py
# (_ORDERING_CASES: 13 queries, each with the exact expected list above cutoff 70, best first),
# every scorer fed the same normalize() output through rapidfuzz.process.extract:
#   fuzz.WRatio                                    3/13 right
#   max(fuzz.token_set_ratio, fuzz.partial_ratio)  1/13 right
#   this module's word model                      13/13 right
# (test_single_scorers_order_worse_than_word_model keeps this comparison honest.)  WRatio gives
# "иван" the same 90 for "Иван Петров", "Иванов Сергей" and "Диван-Мебель", scores only 60 for
# "ив" against "Иван Петрович Сидоров" (its 0.6 partial scale for long strings) and lets
# "мария" match "Марина" (72.7).  token_set/partial score every substring 100, so "Иван
# Петров" ties with the exact "Иван" and "Диван" is a 100 too.  Of the two, WRatio orders
# better, but neither is good enough on its own.
#
# Timing (this container, median per query, 5,000 names; test_speed_5000 re-checks < 10 ms):
#                                   test fixture names      12,466-word vocabulary
#                                   (1,043 distinct words)  (random unique-ish names)
#   FuzzyIndex.rank, index prebuilt     0.55 ms                 2.6 ms
#   module rank(), same list again      2.4 ms                  4.0 ms  (snapshot + cached index)
#   FuzzyIndex build (per new list)     7.2 ms                 13.8 ms  (normalize() cached)
#   fuzz.WRatio via process.extract     4.9 ms                  8.8 ms  (for comparison)
# So the matching is two cheap C scorers (OSA.distance, fuzz.ratio) over the distinct-word
# vocabulary via rapidfuzz.process.cdist plus a numpy gather for the per-name maxima, rather
# than process.extract over whole names.

_WORD_SCALE = 0.97
_PREFIX_BASE = 85.0
_PREFIX_SPAN = 10.0
_TYPO_CAP = 95.0
# A name longer than this many words only has its first words matched: keeps the gather matrix
# small when someone pastes a paragraph into a client's name.
_MAX_WORDS = 16
# A hit on part of a word ("плюс" in "Ромашка-Плюс") or on words glued together is a weaker
# signal than a whole word: "ромашка" should list ООО «Ромашка» before Ромашка-Плюс.
_PART_WEIGHT = 0.95

# Quotes and separators inside names carry no meaning for matching: ООО «Ромашка» == ооо ромашка.
_SPLIT_CHARS = re.compile(r"[\"«»“”„‟‹›,;:!?()\[\]{}<>|/\\]+")
# Inner joiners make sub-words so "Ромашка-Плюс" is found by "плюс" as well as by the whole word.
_JOINERS = re.compile(r"[-.'’&+_]+")


def normalize(text: str) -> str:
    """Casefold, ё→е, drop quotes and edge punctuation of each word, collapse spaces."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    text = _SPLIT_CHARS.sub(" ", text)
    words = (_strip_edges(word) for word in text.split())
    return " ".join(word for word in words if word)


def _strip_edges(word: str) -> str:
    """Strip non-alphanumeric characters from both ends of a word."""
    start, end = 0, len(word)
    while start < end and not word[start].isalnum():
        start += 1
    while end > start and not word[end - 1].isalnum():
        end -= 1
    return word[start:end]


# Names repeat across calls (the same client list is matched message after message), so the
# NFKC+casefold work is cached; 64k entries is a few MB at most.
_normalize_cached = lru_cache(maxsize=65536)(normalize)


@lru_cache(maxsize=65536)
def _words(normalized: str) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """Words of a normalized name and their weights; sub-words and the glued form weigh less."""
    words = normalized.split()[:_MAX_WORDS]
    weighted = [(word, 1.0) for word in words]
    for word in words:
        parts = [part for part in _JOINERS.split(word) if part]
        if len(parts) > 1:
            weighted.extend((part, _PART_WEIGHT) for part in parts)
    # The space-less form lets "иванпетров" match "Иван Петров".
    if len(words) > 1:
        weighted.append(("".join(words), _PART_WEIGHT))
    return tuple(word for word, _ in weighted), tuple(weight for _, weight in weighted)


class FuzzyIndex(Generic[K]):
    """Precomputed, reusable matcher over (key, name or aliases) candidates."""

    def __init__(self, candidates: Iterable[tuple[K, str | Iterable[str]]]) -> None:
        """Normalize every name once and build the word vocabulary and gather matrix."""
        np = _numpy()
        self._keys: list[K] = []
        self._exact: dict[str, list[int]] = {}  # normalized name -> key positions
        flat_words: list[str] = []
        flat_weights: list[float] = []
        lengths: list[int] = []
        alias_owner: list[int] = []
        for position, (key, names) in enumerate(candidates):
            self._keys.append(key)
            for name in [names] if isinstance(names, str) else names:
                normalized = _normalize_cached(name) if name else ""
                if not normalized:
                    continue
                owners = self._exact.setdefault(normalized, [])
                if position not in owners:
                    owners.append(position)
                words, weights = _words(normalized)
                flat_words.extend(words)
                flat_weights.extend(weights)
                lengths.append(len(words))
                alias_owner.append(position)

        vocab = sorted(set(flat_words))
        self._vocab = vocab
        self._vocab_len = np.fromiter(
            (len(word) for word in vocab), dtype=np.float32, count=len(vocab)
        )
        word_id = {word: index for index, word in enumerate(vocab)}
        # Padded (alias x word) matrices filled in one vectorised scatter: a per-row numpy
        # assignment loop cost ~15 ms for 5,000 names.
        counts = np.asarray(lengths, dtype=np.int64)
        rows = np.repeat(np.arange(len(lengths)), counts)
        cols = np.arange(len(flat_words)) - np.repeat(np.cumsum(counts) - counts, counts)
        width = int(counts.max()) if len(lengths) else 1
        pad = len(vocab)  # points at an extra always-zero score slot
        self._matrix = np.full((len(lengths), width), pad, dtype=np.int32)
        self._matrix[rows, cols] = np.fromiter(
            (word_id[word] for word in flat_words), dtype=np.int32, count=len(flat_words)
        )
        self._weights = np.ones((len(lengths), width), dtype=np.float32)
        self._weights[rows, cols] = flat_weights
        self._alias_owner = np.asarray(alias_owner, dtype=np.int64)

    def __len__(self) -> int:
        """Number of candidate keys."""
        return len(self._keys)

    def _word_scores(self, qword: str) -> np.ndarray:
        """Score one query word against every vocabulary word (plus the zero pad slot)."""
        np = _numpy()
        scores = np.zeros(len(self._vocab) + 1, dtype=np.float32)
        if not self._vocab:
            return scores
        vocab_scores = scores[:-1]
        qlen = len(qword)
        # rapidfuzz (~2.5 MB) loads on the first search, as numpy does: a restart needs neither.
        from rapidfuzz import fuzz, process
        from rapidfuzz.distance import OSA

        # Distances above 2 are never allowed, so let rapidfuzz stop early at 3.
        distances = process.cdist(
            [qword], self._vocab, scorer=OSA.distance, score_cutoff=2, dtype=np.int32, workers=1
        )[0]
        # Typo budget by the longer word: 0 under 4 letters, 1 for 4–7, 2 for 8+.
        longest = np.maximum(self._vocab_len, qlen)
        allowed = np.where(longest < 4, 0, np.where(longest < 8, 1, 2))
        typo_ok = distances <= allowed
        if typo_ok.any():
            ratios = process.cdist(
                [qword], self._vocab, scorer=fuzz.ratio, dtype=np.float32, workers=1
            )[0]
            vocab_scores[typo_ok] = np.minimum(ratios[typo_ok], _TYPO_CAP)
        # Prefixes are a contiguous run of the sorted vocabulary: two bisections, no scan.
        low = bisect_left(self._vocab, qword)
        high = bisect_left(self._vocab, qword + "\U0010ffff", low)
        if high > low:
            prefix = _PREFIX_BASE + _PREFIX_SPAN * qlen / self._vocab_len[low:high]
            np.maximum(vocab_scores[low:high], prefix, out=vocab_scores[low:high])
        vocab_scores[distances == 0] = 100.0
        return scores

    def _phrase_scores(self, qwords: Sequence[str]) -> np.ndarray:
        """Length-weighted mean over query words of each alias's best matching word."""
        np = _numpy()
        total = np.zeros(self._matrix.shape[0], dtype=np.float32)
        for qword in qwords:
            per_alias = (self._word_scores(qword)[self._matrix] * self._weights).max(axis=1)
            total += per_alias * len(qword)
        return total / sum(len(qword) for qword in qwords)

    def _key_scores(self, normalized: str) -> np.ndarray:
        """Best alias score per key position (keys without names stay at 0)."""
        np = _numpy()
        qwords = normalized.split()
        alias_scores = self._phrase_scores(qwords)
        if len(qwords) > 1:
            # The query typed without spaces ("иван петров" vs a client saved as "ИванПетров").
            joined = self._phrase_scores(["".join(qwords)]) * _PART_WEIGHT
            np.maximum(alias_scores, joined, out=alias_scores)
        alias_scores *= _WORD_SCALE
        key_scores = np.zeros(len(self._keys), dtype=np.float32)
        np.maximum.at(key_scores, self._alias_owner, alias_scores)
        return key_scores

    def exact(self, query: str) -> list[K]:
        """Keys with a name equal to the query once normalized (what rank() scores 100)."""
        return [self._keys[i] for i in self._exact.get(_normalize_cached(query), [])]

    def rank(
        self, query: str, *, limit: int | None = 8, cutoff: float = 70
    ) -> list[tuple[K, float]]:
        """Keys whose names match the query, best first, with 0–100 scores."""
        np = _numpy()
        normalized = _normalize_cached(query)
        if not normalized:
            # "List all": the caller's order (e.g. most recent first) is the useful one.
            return [(key, 100.0) for key in self._keys]
        if not self._keys or (limit is not None and limit <= 0):
            return []
        scores = self._key_scores(normalized)
        # Two clients with the very same name are both exact; best() then refuses to pick.
        scores[self._exact.get(normalized, [])] = 100.0
        hits = np.flatnonzero(scores >= cutoff)
        # Stable sort keeps the caller's order among equal scores.
        order = hits[np.argsort(-scores[hits], kind="stable")]
        if limit is not None:
            order = order[:limit]
        return [(self._keys[i], round(float(scores[i]), 1)) for i in order.tolist()]

    def best(
        self, query: str, *, cutoff: float = 70, limit: int | None = 8
    ) -> tuple[list[K], bool]:
        """(matches, unique): unique means the caller may act without showing buttons."""
        normalized = _normalize_cached(query)
        if not normalized:
            # An empty query is a request for the list, never a silent choice.
            return [key for key, _ in self.rank(query, limit=limit)], False
        ranked = self.rank(query, limit=limit, cutoff=cutoff)
        if not ranked:
            return [], False
        exact = [key for key, score in ranked if score >= 100.0]
        if len(exact) == 1:
            return exact, True
        if len(exact) > 1:
            return exact, False
        if len(ranked) == 1:
            return [ranked[0][0]], True
        top, second = ranked[0][1], ranked[1][1]
        if top >= 90 and top - second >= 10:
            return [ranked[0][0]], True
        return [key for key, _ in ranked], False


# Module-level helpers rebuild nothing when called again with an equal candidate list: the bot
# re-reads the same clients per message, and building the index costs far more than matching.
# A few entries cover the managers active at once; least recently used is dropped first.
_INDEX_CACHE_SIZE = 8
_index_cache: dict[tuple[tuple[Hashable, tuple[str, ...]], ...], FuzzyIndex[Any]] = {}


def _index_for(candidates: Iterable[tuple[K, str | Iterable[str]]]) -> FuzzyIndex[K]:
    """A FuzzyIndex for the candidates, reused when an equal candidate list was seen recently."""
    snapshot = tuple(
        (key, (names,) if isinstance(names, str) else tuple(names)) for key, names in candidates
    )
    try:
        cached = _index_cache.pop(snapshot, None)  # type: ignore[arg-type]
    except TypeError:  # unhashable keys: no caching, still correct
        return FuzzyIndex(snapshot)
    if cached is None:
        cached = FuzzyIndex(snapshot)
        if len(_index_cache) >= _INDEX_CACHE_SIZE:
            _index_cache.pop(next(iter(_index_cache)))
    _index_cache[snapshot] = cached  # type: ignore[index]
    # Equal is not identical: hand back this call's key objects, not the cached call's.
    view = copy.copy(cached)
    view._keys = [key for key, _ in snapshot]
    return view


def rank(
    query: str,
    candidates: Iterable[tuple[K, str | Iterable[str]]],
    *,
    limit: int | None = 8,
    cutoff: float = 70,
) -> list[tuple[K, float]]:
    """Rank candidate keys by how well their names match the query (empty query lists all)."""
    return _index_for(candidates).rank(query, limit=limit, cutoff=cutoff)


def best(
    query: str,
    candidates: Iterable[tuple[K, str | Iterable[str]]],
    *,
    cutoff: float = 70,
    limit: int | None = 8,
) -> tuple[list[K], bool]:
    """(matches, unique) for the query; when not unique the caller shows buttons."""
    return _index_for(candidates).best(query, cutoff=cutoff, limit=limit)
