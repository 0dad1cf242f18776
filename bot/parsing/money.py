"""Amounts of money in typed text: «120 000 ₽», "$1,200", «1,5к», «120 тыс. руб», "1.2m".

An amount is a number, an optional multiplier and an optional currency on either side:
- groups of three digits split by a space (also U+00A0, U+2009, U+202F), a comma, a dot or an
  apostrophe: "120 000", "1,200,000", "1.200.000"; a single comma or dot followed by exactly three
  digits groups thousands ("120,000" and "120.000" are both 120000), any other is the decimal mark
  ("1,5", "99.99"); with two kinds of mark the last is the decimal one ("120.000,50");
- multipliers: к/k (attached: «120к», "120k"), тыс/тыс./тысяч/thousand, т.р./тр (thousand roubles,
  so RUB), млн/mln/million and an attached m ("1.2m") or кк/kk, млрд/bn/billion, трлн/trillion;
- a currency by symbol (₽ $ € £ ₸ ₴ ¥ for CNY, and a few more), by word («руб.», «р», «рублей»,
  «долл», "dollars", «евро», «тенге», «грн», «юаней»…) after the number, or by ISO 4217 code on
  either side ("usd 1200", "1200 EUR"). Codes that are also everyday words ("all", "top", "try",
  "cup", "pen"…) count only in upper case ("ALL"), the others in any case.
Refused with MoneyError.code: NO_AMOUNT (nothing number-like), ZERO (zero or negative), TOO_BIG
(over MAX_AMOUNT), PRECISION (more than two decimals, or a multiplied amount with a fraction of a
cent) and BAD_CURRENCY (two different currencies on one amount: "$120 руб").
A number glued to letters («20м», "50кг", "INV2024") or to a % is no amount; nor are dates and
times ("5.12.2024", "18:00") or ranges ("5-10").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, localcontext
from functools import cache

from babel.numbers import list_currencies

# Error codes in MoneyError.code.
NO_AMOUNT = "no_amount"
ZERO = "zero"
TOO_BIG = "too_big"
BAD_CURRENCY = "bad_currency"
PRECISION = "precision"

MAX_AMOUNT = Decimal(10) ** 12
_CENT = Decimal("0.01")
# MAX_AMOUNT has 13 digits; a longer whole part is too big whatever the multiplier.
_MAX_WHOLE_DIGITS = 13
# The largest multiplier is 10^12: more significant decimals than 12 + 2 leave a fraction of a cent.
_MAX_FRACTION_DIGITS = 14


@cache
def _iso_codes() -> frozenset[str]:
    """ISO 4217 codes Babel knows, read on first use: its global data costs ~2.5 MB of RAM."""
    return frozenset(list_currencies())


# ISO codes that are also words people type in lower case: a currency only as "ALL", "TOP"...
_WORDLIKE = frozenset(
    "ALL ARM BAD BAM BAN BOB BOP BRR CAD CHE COP CUP DOP EEK ESP GEL LSL LUL MAD MOP NIC PEN "
    "PHP RON SIT SOS STD SUR TOP TRY USS XTS XXX YUM".split()
)
_SYMBOLS = {
    "₽": "RUB", "$": "USD", "€": "EUR", "£": "GBP", "₸": "KZT", "₴": "UAH", "¥": "CNY",
    "₺": "TRY", "₹": "INR", "₾": "GEL", "₼": "AZN", "₩": "KRW", "₪": "ILS", "฿": "THB",
    "₫": "VND", "₦": "NGN", "₱": "PHP", "֏": "AMD",
}  # fmt: skip
_WORDS: dict[str, str] = {}
for _code, _words in (
    ("RUB", "рубль рубля рублей рубли ruble rubles rouble roubles"),
    ("USD", "доллар доллара долларов доллары dollar dollars бакс бакса баксов"),
    ("EUR", "евро euro euros"),
    ("GBP", "фунт фунта фунтов pound pounds"),
    ("KZT", "тенге"),
    ("UAH", "гривна гривны гривен гривня hryvnia"),
    ("CNY", "юань юаня юаней юани yuan rmb"),
):
    for _word in _words.split():
        _WORDS[_word] = _code
# Short forms that may end in a dot: «руб.», «р.», «долл.».
_ABBREVIATIONS = {"руб": "RUB", "р": "RUB", "долл": "USD", "дол": "USD", "грн": "UAH", "тг": "KZT"}

# Possessive: a long run of spaces is crossed once, not retried at every length.
_GAP = r"[^\S\n]*+"
_SYMBOL = "[" + "".join(_SYMBOLS) + "]"
_MINUS = re.compile(r"[-−]")
_PREFIX = re.compile(rf"(?:(?P<sym>{_SYMBOL})|(?P<code>[A-Za-z]{{3}})(?![^\W\d_])){_GAP}")
_SUFFIX = re.compile(
    # A symbol glued to the next digits is that number's: «до 5.12 $500».
    rf"{_GAP}(?:(?P<sym>{_SYMBOL})(?![-−]?[0-9])"
    rf"|(?P<word>{'|'.join(sorted(_WORDS, key=len, reverse=True))})(?!\w)"
    rf"|(?P<abbr>{'|'.join(sorted(_ABBREVIATIONS, key=len, reverse=True))})(?:\.|(?!\w))"
    r"|(?P<code>[A-Za-z]{3})(?!\w))",
    re.IGNORECASE,
)
# Multipliers written right after the digits; spaced, «к» is a preposition and "m" minutes.
_ATTACHED = re.compile(r"(?P<mm>кк|kk)(?![\w%])|(?P<k>[кk])(?![\w%])|(?P<m>m)(?![\w%])", re.I)
_SPACED = re.compile(
    rf"{_GAP}(?:(?P<kr>т\.{_GAP}р(?:\.|(?!\w))|тр(?:\.|(?!\w)))"
    r"|(?P<k>тыс(?:\.|яч[аи]?(?!\w)|(?!\w))|thousands?(?!\w))"
    r"|(?P<m>млн(?:\.|(?!\w))|mln(?!\w)|миллион(?:а|ов)?(?!\w)|millions?(?!\w))"
    r"|(?P<b>млрд(?:\.|(?!\w))|bn(?!\w)|миллиард(?:а|ов)?(?!\w)|billions?(?!\w))"
    r"|(?P<t>трлн(?:\.|(?!\w))|триллион(?:а|ов)?(?!\w)|trillions?(?!\w)))",
    re.IGNORECASE,
)
_FACTORS = {"k": 10**3, "kr": 10**3, "m": 10**6, "mm": 10**6, "b": 10**9, "t": 10**12}

# A number may not run on into more digits, a date, a clock time or a range.
_NUMBER_END = r"(?![0-9]|[.,'’:/\-–][0-9])"
_LEAD = "[1-9][0-9]{0,2}"
# Tried in order: grouped forms first, so "120,000" is thousands and "1,5" a fraction.
_NUMBERS = [
    re.compile(rf"(?P<whole>{_LEAD}(?:{group}[0-9]{{3}})+)(?:{mark}(?P<frac>[0-9]+))?{_NUMBER_END}")
    for group, mark in (
        ("[ \u00a0\u2009\u202f]", "[.,]"),
        (",", r"\."),
        (r"\.", ","),
        ("['’]", "[.,]"),
    )
] + [re.compile(rf"(?P<whole>[0-9]+)(?:[.,](?P<frac>[0-9]+))?{_NUMBER_END}")]
# What may not follow a bare number: letters and digits ("20м", "INV2024") and a percent.
_TAIL = re.compile(r"[\w%‰°]")
# "5.12" alone is a date far more often than an amount (find_money only).
_DATE_LIKE = re.compile(r"(?:0?[1-9]|[12][0-9]|3[01])\.(?:0[1-9]|1[0-2])")
# Where find_money tries an amount: not inside a word, a number, "#45", a phone's "+7" or a date.
_START = re.compile(rf"(?<![\w#№/.,:'’@+\-−])(?:[-−]|{_SYMBOL}|[A-Za-z]{{3}}(?![^\W\d_])|[0-9])")


@dataclass(frozen=True)
class Money:
    """An amount quantized to cents and its ISO 4217 currency (None: the text named none)."""

    amount: Decimal
    currency: str | None


class MoneyError(ValueError):
    """No amount, or a wrong one; `code` is NO_AMOUNT, ZERO, TOO_BIG, BAD_CURRENCY or PRECISION."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class _Reading:
    """What stands at one place in the text: an amount, an error, or (both None) no amount."""

    end: int
    money: Money | None
    error: str | None
    marked: bool  # a currency or a multiplier says this is money, not just a number
    number: str


def _iso(code: str) -> str | None:
    """The ISO code typed, if Babel knows it and its case does not make it a word."""
    upper = code.upper()
    if upper not in _iso_codes() or (upper in _WORDLIKE and code != upper):
        return None
    return upper


def _suffix(text: str, pos: int) -> tuple[str, int] | None:
    """The currency named right after an amount and where it ends."""
    found = _SUFFIX.match(text, pos)
    if found is None:
        return None
    if found["sym"]:
        code: str | None = _SYMBOLS[found["sym"]]
    elif found["word"]:
        # casefold, not lower: IGNORECASE lets "ſ" and the Kelvin sign stand for s and k.
        code = _WORDS.get(found["word"].casefold())
    elif found["abbr"]:
        code = _ABBREVIATIONS.get(found["abbr"].casefold())
    else:
        code = _iso(found["code"])
    return (code, found.end()) if code else None


def _value(whole: str, frac: str, factor: int, negative: bool) -> Decimal | str:
    """The amount the digits and the multiplier make, or the error code."""
    whole = whole.lstrip("0")
    significant = frac.rstrip("0")
    if negative or not (whole or significant):
        return ZERO
    if len(whole) > _MAX_WHOLE_DIGITS:
        return TOO_BIG
    # Without a multiplier "1.500" never gets here (it is thousands) and "0.500" is a typo.
    if len(significant) > _MAX_FRACTION_DIGITS or (factor == 1 and len(frac) > 2):
        return PRECISION
    with localcontext() as context:
        context.prec = 40
        value = Decimal(f"{whole or 0}.{frac or 0}") * factor
        if value > MAX_AMOUNT:
            return TOO_BIG
        if value != value.quantize(_CENT):
            return PRECISION
        return value.quantize(_CENT)


def _read_at(text: str, pos: int) -> _Reading | None:
    """The amount that starts exactly at pos; None when no number stands there."""
    at = pos
    negative = bool(minus := _MINUS.match(text, at))
    if minus:
        at = minus.end()
    currencies: list[str] = []
    if prefix := _PREFIX.match(text, at):
        code = _SYMBOLS[prefix["sym"]] if prefix["sym"] else _iso(prefix["code"])
        if code:
            currencies.append(code)
            at = prefix.end()
            if not negative and (minus := _MINUS.match(text, at)):
                negative, at = True, minus.end()
    for pattern in _NUMBERS:
        if number := pattern.match(text, at):
            break
    else:
        return None
    whole = re.sub(r"[^0-9]", "", number["whole"])
    frac = number["frac"] or ""
    end = number.end()
    factor = 1
    multiplier = _ATTACHED.match(text, end) or _SPACED.match(text, end)
    if multiplier:
        kind = multiplier.lastgroup or "k"  # every alternative is a named group
        factor, end = _FACTORS[kind], multiplier.end()
        if kind == "kr":
            currencies.append("RUB")
    if named := _suffix(text, end):
        currencies.append(named[0])
        end = named[1]
    if end == number.end() and _TAIL.match(text, end):
        return _Reading(end, None, None, False, number[0])
    marked = bool(currencies) or factor != 1
    if len(set(currencies)) > 1:
        return _Reading(end, None, BAD_CURRENCY, marked, number[0])
    value = _value(whole, frac, factor, negative)
    if isinstance(value, str):
        return _Reading(end, None, value, marked, number[0])
    money = Money(value, currencies[0] if currencies else None)
    return _Reading(end, money, None, marked, number[0])


def _tidy(text: str) -> str:
    """Whitespace collapsed, and no separator left dangling where an amount was cut out."""
    return " ".join(text.split()).strip(" ,;:")


def read_money(text: str) -> tuple[Money, str]:
    """The amount (with its currency if named) at the start of `text`, and the rest of the text."""
    start = len(text) - len(text.lstrip())
    reading = _read_at(text, start)
    if reading is None or reading.money is None:
        raise MoneyError(reading.error if reading and reading.error else NO_AMOUNT)
    return reading.money, _tidy(text[reading.end :])


def find_money(text: str, *, marked: bool = False) -> tuple[Money | None, str]:
    """The first amount anywhere in `text` ('#45 50 000', 'Acme 50к') and the text without it.

    An amount with a currency or a multiplier wins over an earlier bare number ("Studio 54 50к");
    `marked` skips bare numbers altogether. A bare "5.12" is taken for a date and skipped. When the
    amount chosen is wrong (zero, too big...) MoneyError says why.
    """
    chosen: tuple[int, _Reading] | None = None
    pos = 0
    while start := _START.search(text, pos):
        reading = _read_at(text, start.start())
        if reading is None:
            pos = start.start() + 1
            continue
        pos = max(reading.end, start.start() + 1)
        if reading.money is None and reading.error is None:
            continue
        if not reading.marked and (marked or _DATE_LIKE.fullmatch(reading.number)):
            continue
        if reading.marked:
            chosen = (start.start(), reading)
            break
        if chosen is None:
            chosen = (start.start(), reading)
    if chosen is None:
        return None, " ".join(text.split())
    begin, reading = chosen
    if reading.money is None:
        raise MoneyError(reading.error or NO_AMOUNT)
    left, right = text[:begin].rstrip(), text[reading.end :].lstrip()
    # «оплатили 120 000 ₽, спасибо» leaves «оплатили, спасибо», not «оплатили , спасибо».
    space = "" if right.startswith((",", ";", ".", "!", "?", ")")) else " "
    return reading.money, _tidy(left + space + right)
