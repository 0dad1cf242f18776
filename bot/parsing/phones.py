"""Phone numbers in typed text: found, normalised to E.164 and shown, with `phonenumbers`.

The library decides what a valid number is, in the manager's region (their country, default RU):
"8 (999) 123-45-67" there is +79991234567, "(212) 555-0100" in US is +12125550100, and a number
written with "+" keeps its own country. On top of it, kept by hand because the library misses it:
- candidates are our own digit runs, cut token by token (longest valid range first), so a phone
  glued to a neighbouring number ("2024 89991234567", "+7 999 123 45 67 10 страниц") is still
  found; its PhoneNumberMatcher also takes ~15 ms on 4 KB of digits, ten times our budget;
- "+8 999 …" is a common slip for +7 (there is no country code 8): read as +7;
- amounts grouped by thousands ("9 000 000 000") are never phones, though the library reads that
  one as a valid Russian mobile;
- a number typed without "+" must belong to the manager's region: the library would read the INN
  7707083893 as a Kazakh mobile (+7 770 …), since Russia and Kazakhstan share +7;
- an unbroken run of exactly the national length without "+" or a trunk prefix is a phone only if
  it is a mobile: "4951234567" may be an INN, "9991234567" is a phone, "(495) 123-45-67" too;
- dotted dates ("12.05.2024") are not phones in any region.
Work per text is capped (_MAX_CHECKS library calls): a pasted table of numbers stays fast.
"""

from __future__ import annotations

import re
from functools import lru_cache

# phonenumbers (~1 MB) is imported inside the functions that call it: the bot loads it when it
# first reads a lead's text or shows a phone, not on every start.
DEFAULT_REGION = "RU"

# A run of digits with phone separators; validated and trimmed token by token afterwards.
PHONE_RUN = re.compile(r"(?<![\w+])\+?\(?[0-9][0-9 \t\u00a0().\-\u2010-\u2015]*[0-9]")
# "1 500 000" style amounts: never a phone, even when the digit count happens to fit.
_THOUSANDS = re.compile(r"[0-9]{1,3}(?:[ \u00a0][0-9]{3})+")
_DOTTED_DATE = re.compile(r"[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{2,4}")
_TOKEN = re.compile(r"\S+")
# Two digits in one token: only the first token of a phone may hold a lone digit (a country code
# or a trunk prefix), so a run without such a token ("1 1 1 …") holds no phone.
_TWO_DIGITS = re.compile(r"[0-9][^\s0-9]*[0-9]")
# No phone spans more than this many pieces ("+7 ( 999 ) 123 - 45 - 67").
_MAX_TOKENS = 12
# E.164 allows at most 15 digits; a trunk prefix adds one more when typed nationally.
_MAX_DIGITS = 16
_MIN_DIGITS = 7
# Library calls per text; each costs ~15 µs, so a text of numbers stays within a few ms.
_MAX_CHECKS = 100


def region_code(region: str | None) -> str:
    """An upper-case region the library knows, else DEFAULT_REGION."""
    import phonenumbers  # lazy, see above

    code = (region or "").upper()
    return code if code in phonenumbers.SUPPORTED_REGIONS else DEFAULT_REGION


@lru_cache(maxsize=64)
def _national_lengths(region: str) -> frozenset[int]:
    """Digit counts a number typed without "+" can have in the region."""
    from phonenumbers import PhoneMetadata  # lazy, see above

    meta = PhoneMetadata.metadata_for_region(region)
    if meta is None:
        return frozenset()
    lengths = set(meta.general_desc.possible_length)
    extra = {len(meta.national_prefix or ""), len(str(meta.country_code))}
    return frozenset(n + e for n in lengths for e in extra | {0})


@lru_cache(maxsize=4096)
def _check(raw: str, region: str) -> str | None:
    """E.164 for one candidate (digits and separators only), or None if it is not a phone."""
    import phonenumbers  # lazy, see above
    from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

    digits = re.sub(r"[^0-9]", "", raw)
    plus = raw.startswith("+")
    if plus and len(digits) == 11 and digits.startswith("89"):
        raw = "+7" + digits[1:]  # "+8 999 …" is a common slip for +7: +8 is no country code
    if not plus and (_THOUSANDS.fullmatch(raw) or _DOTTED_DATE.fullmatch(raw)):
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    if not plus:
        if not phonenumbers.is_valid_number_for_region(number, region):
            return None
        unbroken = raw.isdigit() and len(digits) == len(str(number.national_number))
        mobile = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
        if unbroken and phonenumbers.number_type(number) not in mobile:
            return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def normalize_phone(value: str, region: str = DEFAULT_REGION) -> str | None:
    """E.164 ("+79991234567") for a phone typed on its own, or None if it is not one."""
    found = find_phones(value, region)
    if len(found) != 1:
        return None
    start, end, e164 = found[0]
    # Only separators may surround the number: "+7 999 123-45-67 (whatsapp)" is not "a phone".
    if value[:start].strip(" \t,;:()") or value[end:].strip(" \t,;:()."):
        return None
    return e164


def phone_key(value: str, region: str = DEFAULT_REGION) -> str | None:
    """Digits-only E.164 ("79991234567") to store and search phones by, or None."""
    e164 = normalize_phone(value, region)
    return e164[1:] if e164 else None


def format_phone(value: str, region: str = DEFAULT_REGION) -> str:
    """A phone for display in international format ("+7 999 123-45-67"); other text unchanged."""
    e164 = normalize_phone(value, region)
    if e164 is None:
        return value
    import phonenumbers  # lazy, see above
    from phonenumbers import PhoneNumberFormat

    number = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


def _trim(raw: str, start: int, end: int) -> tuple[int, int]:
    """Shrink [start, end) of raw so it starts at "+", "(" or a digit and ends at a digit."""
    while start < end and raw[start] not in "+(0123456789":
        start += 1
    while end > start and not raw[end - 1].isdigit():
        end -= 1
    return start, end


def _phones_in_run(run: str, region: str, budget: list[int]) -> list[tuple[int, int, str]]:
    """Phones inside one digit run: the longest valid token range, leftmost first."""
    spans: list[tuple[int, int]] = []
    counts: list[int] = []
    for token in _TOKEN.finditer(run):
        spans.append(token.span())
        counts.append(sum(map(str.isdigit, token.group())))
    national = _national_lengths(region)
    found: list[tuple[int, int, str]] = []
    first = 0
    while first < len(spans) and budget[0] > 0:
        # Ranges from this token on with a digit count some phone has; a range stops growing
        # past the longest phone, or at a lone digit inside it (a country code or a trunk
        # prefix may only open a number): this keeps "1 1 1 …" linear.
        plus = run[spans[first][0]] == "+"
        ranges: list[int] = []
        digits = 0
        for last in range(first, min(len(spans), first + _MAX_TOKENS)):
            if last > first and counts[last] == 1:
                break
            digits += counts[last]
            if digits > _MAX_DIGITS:
                break
            if digits >= _MIN_DIGITS and (plus or not national or digits in national):
                ranges.append(last + 1)
        for last in reversed(ranges):
            start, end = _trim(run, spans[first][0], spans[last - 1][1])
            if start >= end:
                continue
            budget[0] -= 1
            value = _check(run[start:end], region)
            if value:
                found.append((start, end, value))
                first = last
                break
            if budget[0] <= 0:
                break
        else:
            first += 1
    return found


def find_phones(text: str, region: str = DEFAULT_REGION) -> list[tuple[int, int, str]]:
    """Phones in text as (start, end, E.164), in text order (module docstring for the rules)."""
    region = region_code(region)
    budget = [_MAX_CHECKS]
    found: list[tuple[int, int, str]] = []
    for match in PHONE_RUN.finditer(text):
        if budget[0] <= 0:
            break
        run = match.group()
        if not _TWO_DIGITS.search(run):
            continue
        for start, end, value in _phones_in_run(run, region, budget):
            found.append((start + match.start(), end + match.start(), value))
    return found


__all__ = [
    "DEFAULT_REGION",
    "PHONE_RUN",
    "find_phones",
    "format_phone",
    "normalize_phone",
    "phone_key",
    "region_code",
]
