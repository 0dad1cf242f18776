"""Understand what a user types or shares as their time zone."""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import get_timezone_location

if TYPE_CHECKING:  # only for the annotation; the real import is lazy (heavy, see below)
    from timezonefinder import TimezoneFinder

__all__ = [
    "COMMON_ZONES",
    "TzGuess",
    "describe_zone",
    "parse_timezone",
    "timezone_from_location",
]


@dataclass(frozen=True, slots=True)
class TzGuess:
    """Result of reading a time zone from user input."""

    zone: str | None  # IANA name when understood
    suggestions: tuple[str, ...] = ()  # IANA names to offer as buttons when not sure, at most 4


# Quick-pick buttons. Each one is a different UTC offset, so eight buttons cover as many distinct
# local times as possible for a Russian-speaking agency: Kaliningrad +2, Moscow +3 (most clients),
# Dubai +4 (big relocation/agency hub; same clock as Samara, Tbilisi, Yerevan, Baku),
# Yekaterinburg +5 (same clock as Almaty/Astana since 2024, Tashkent), Novosibirsk +7,
# Vladivostok +10, Berlin (CET/CEST, EU clients and relocants), New York (US clients).
# Everything else is one typed word away ("Алматы", "Омск", "МСК+5").
COMMON_ZONES: tuple[str, ...] = (
    "Europe/Kaliningrad",
    "Europe/Moscow",
    "Asia/Dubai",
    "Asia/Yekaterinburg",
    "Asia/Novosibirsk",
    "Asia/Vladivostok",
    "Europe/Berlin",
    "America/New_York",
)

MAX_SUGGESTIONS = 4
_FUZZY_CUTOFF = 78.0  # below this, "Berlinn"-style typos blur into unrelated names
_AUTO_ACCEPT = 90.0  # one substitution/insertion in a 6+ letter name lands here
_AUTO_MARGIN = 8.0  # and the runner-up must be this far behind to be "clearly ahead"
_MIN_FUZZY_LEN = 4  # 2-3 letter inputs match too many short aliases ("la", "ny", "мск")

# Hand-made names a Russian speaker actually types. Checked first, so they win over anything
# derived from tzdata/CLDR (e.g. "EST" means New York to people, while IANA's EST is a fixed −5
# that is an hour off all summer; "Астана" is not an IANA zone id at all).
# fmt: off
_CITY_NAMES: dict[str, tuple[str, ...]] = {
    "Europe/Kaliningrad": ("Калининград", "Kaliningrad", "Кёнигсберг"),
    "Europe/Moscow": (
        "Москва", "мск", "msk", "Moscow", "Moskva", "Россия", "Russia",
        "Санкт-Петербург", "Петербург", "Питер", "СПб", "Ленинград", "Saint Petersburg",
        "St Petersburg", "St. Petersburg", "Sankt-Peterburg", "Petersburg", "SPb", "Piter",
        "Казань", "Kazan", "Нижний Новгород", "Нижний", "Nizhny Novgorod", "Nizhniy Novgorod",
        "Ростов", "Ростов-на-Дону", "Rostov", "Rostov-on-Don", "Сочи", "Sochi",
        "Краснодар", "Krasnodar", "Воронеж", "Voronezh", "Ярославль", "Yaroslavl",
        "Тула", "Tula", "Мурманск", "Murmansk", "Архангельск", "Arkhangelsk",
    ),
    "Europe/Samara": ("Самара", "Samara", "Тольятти", "Togliatti", "Ижевск", "Izhevsk"),
    "Asia/Yekaterinburg": (
        "Екатеринбург", "Екб", "Yekaterinburg", "Ekaterinburg", "Ekb",
        "Уфа", "Ufa", "Пермь", "Perm", "Челябинск", "Chelyabinsk", "Тюмень", "Tyumen",
        "Оренбург", "Orenburg", "Сургут", "Surgut",
    ),
    "Asia/Omsk": ("Омск", "Omsk"),
    "Asia/Novosibirsk": ("Новосибирск", "Новосиб", "Нск", "Novosibirsk", "Nsk"),
    "Asia/Krasnoyarsk": ("Красноярск", "Krasnoyarsk"),
    "Asia/Irkutsk": ("Иркутск", "Irkutsk", "Улан-Удэ", "Ulan-Ude"),
    "Asia/Yakutsk": ("Якутск", "Yakutsk", "Якутия", "Yakutia"),
    "Asia/Vladivostok": (
        "Владивосток", "Владик", "Vladivostok", "Хабаровск", "Khabarovsk", "Приморье",
    ),
    "Asia/Magadan": ("Магадан", "Magadan"),
    "Asia/Kamchatka": (
        "Камчатка", "Петропавловск-Камчатский", "Kamchatka", "Petropavlovsk-Kamchatsky",
    ),
    "Europe/Minsk": ("Минск", "Minsk", "Беларусь", "Belarus"),
    "Europe/Kyiv": ("Киев", "Київ", "Kyiv", "Kiev", "Украина", "Україна", "Ukraine"),
    "Asia/Almaty": (
        "Алматы", "Алма-Ата", "Almaty", "Alma-Ata", "Астана", "Нур-Султан", "Astana",
        "Nur-Sultan", "Казахстан", "Kazakhstan",
    ),
    "Asia/Tashkent": ("Ташкент", "Tashkent", "Узбекистан", "Uzbekistan"),
    "Asia/Tbilisi": ("Тбилиси", "Tbilisi", "Батуми", "Batumi", "Грузия"),
    "Asia/Yerevan": ("Ереван", "Yerevan", "Армения", "Armenia"),
    "Asia/Baku": ("Баку", "Baku", "Азербайджан", "Azerbaijan"),
    "Asia/Bishkek": ("Бишкек", "Bishkek", "Киргизия", "Кыргызстан", "Kyrgyzstan"),
    "Asia/Dubai": ("Дубай", "Дубаи", "Dubai", "Абу-Даби", "Abu Dhabi", "ОАЭ", "UAE"),
    "Europe/Istanbul": ("Стамбул", "Istanbul", "Анталья", "Antalya", "Турция", "Turkey"),
    "Europe/London": ("Лондон", "London", "Англия", "England", "Великобритания", "UK"),
    "Europe/Berlin": (
        "Берлин", "Berlin", "Германия", "Germany", "Мюнхен", "Munich", "CET", "CEST",
    ),
    "Europe/Paris": ("Париж", "Paris", "Франция", "France"),
    "Europe/Rome": ("Рим", "Rome", "Roma", "Милан", "Milan", "Италия", "Italy"),
    "Europe/Madrid": ("Мадрид", "Madrid", "Барселона", "Barcelona", "Испания", "Spain"),
    "Europe/Warsaw": ("Варшава", "Warsaw", "Польша", "Poland"),
    "Europe/Prague": ("Прага", "Prague", "Praha", "Чехия", "Czechia"),
    "Europe/Riga": ("Рига", "Riga", "Латвия", "Latvia"),
    "Europe/Tallinn": ("Таллин", "Таллинн", "Tallinn", "Эстония", "Estonia"),
    "Europe/Vilnius": ("Вильнюс", "Vilnius", "Литва", "Lithuania"),
    "Europe/Helsinki": ("Хельсинки", "Helsinki", "Финляндия", "Finland"),
    "Europe/Belgrade": ("Белград", "Belgrade", "Сербия", "Serbia"),
    "Europe/Podgorica": ("Подгорица", "Podgorica", "Будва", "Budva", "Черногория"),
    "Europe/Lisbon": ("Лиссабон", "Lisbon", "Португалия", "Portugal"),
    "America/New_York": (
        "Нью-Йорк", "New York", "NYC", "NY", "Майами", "Miami", "Бостон", "Boston",
        "EST", "EDT",
    ),
    "America/Los_Angeles": (
        "Лос-Анджелес", "Los Angeles", "LA", "Сан-Франциско", "San Francisco", "SF",
        "Сиэтл", "Seattle", "PST", "PDT",
    ),
    "America/Chicago": ("Чикаго", "Chicago"),
    "America/Toronto": ("Торонто", "Toronto"),
    "Asia/Bangkok": ("Бангкок", "Bangkok", "Пхукет", "Phuket", "Паттайя", "Pattaya", "Таиланд"),
    "Asia/Makassar": ("Бали", "Bali", "Денпасар", "Denpasar"),
    "Asia/Singapore": ("Сингапур", "Singapore"),
    "Asia/Hong_Kong": ("Гонконг", "Hong Kong"),
    "Asia/Shanghai": ("Пекин", "Beijing", "Peking", "Шанхай", "Shanghai", "Китай", "China"),
    "Asia/Tokyo": ("Токио", "Tokyo", "Япония", "Japan"),
    "Asia/Seoul": ("Сеул", "Seoul", "Корея", "Korea"),
    "Asia/Kolkata": (
        "Дели", "Нью-Дели", "Delhi", "New Delhi", "Мумбаи", "Mumbai", "Гоа", "Goa", "Индия",
        "India",
    ),
    "Asia/Ho_Chi_Minh": ("Нячанг", "Nha Trang", "Хошимин", "Вьетнам", "Vietnam"),
    "Asia/Jerusalem": ("Тель-Авив", "Tel Aviv", "Иерусалим", "Jerusalem", "Израиль", "Israel"),
    "Asia/Nicosia": (
        "Кипр", "Cyprus", "Лимассол", "Limassol", "Никосия", "Nicosia", "Ларнака", "Larnaca",
        "Пафос", "Paphos",
    ),
    # Independent Samoa; tzdata's "Pacific/Samoa" is American Samoa, 24 hours away.
    "Pacific/Apia": ("Самоа", "Samoa", "Апиа", "Apia"),
}

# Offsets (minutes east of UTC) -> the zone a Russian speaker most likely means. Used only if the
# zone really has that offset now and no DST (checked at runtime, so a future tzdata change such
# as Russia moving its clocks degrades to Etc/GMT instead of silently giving a wrong zone).
_OFFSET_ZONES: dict[int, str] = {
    0: "UTC",
    2 * 60: "Europe/Kaliningrad",
    3 * 60: "Europe/Moscow",
    4 * 60: "Europe/Samara",
    5 * 60: "Asia/Yekaterinburg",
    6 * 60: "Asia/Omsk",
    7 * 60: "Asia/Novosibirsk",
    8 * 60: "Asia/Irkutsk",
    9 * 60: "Asia/Yakutsk",
    10 * 60: "Asia/Vladivostok",
    11 * 60: "Asia/Magadan",
    12 * 60: "Asia/Kamchatka",
    # Etc/GMT zones only exist for whole hours, so the real-world half/quarter hours need a city.
    3 * 60 + 30: "Asia/Tehran",
    4 * 60 + 30: "Asia/Kabul",
    5 * 60 + 30: "Asia/Kolkata",
    5 * 60 + 45: "Asia/Kathmandu",
    6 * 60 + 30: "Asia/Yangon",
    8 * 60 + 45: "Australia/Eucla",
    9 * 60 + 30: "Australia/Darwin",
    -(9 * 60 + 30): "Pacific/Marquesas",
}
_MIN_OFFSET, _MAX_OFFSET = -12 * 60, 14 * 60
# "МСК+N" is how Russian speakers give offsets; Moscow has had no DST since 2014.
_MSK_OFFSET = 3 * 60

# Every spelling of "zero offset" in tzdata; all stored as plain "UTC" so the bot has one name.
_UTC_NAMES = frozenset(
    {
        "UTC", "UCT", "GMT", "GMT0", "GMT+0", "GMT-0", "Greenwich", "Universal", "Zulu",
        "Etc/UTC", "Etc/UCT", "Etc/GMT", "Etc/GMT0", "Etc/GMT+0", "Etc/GMT-0", "Etc/Greenwich",
        "Etc/Universal", "Etc/Zulu",
    }
)
# "localtime" depends on the host and "Factory" is tzdata's "-00" placeholder: never a real answer.
_NOT_ZONES = frozenset({"localtime", "Factory"})
# Areas whose last path component is a city; legacy areas (US/, Canada/, Etc/ …) name regions.
_CITY_AREAS = frozenset(
    {
        "Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe",
        "Indian", "Pacific",
    }
)
# Last components that are not places people live in, or that would mislead ("Samoa" is the
# US territory Pago Pago at UTC−11, not independent Samoa at UTC+13).
_NOT_CITIES = frozenset(
    {"ACT", "LHI", "NSW", "North", "South", "West", "Queensland", "Tasmania", "Victoria",
     "Yancowinna", "Samoa"}
)
# fmt: on

_OFFSET_RE = re.compile(
    r"^(?P<base>utc|gmt|мск|msk)?(?P<sign>[+-])?(?P<h>\d{1,2})(?:[:.]?(?P<m>\d{2}))?$"
)
_CITY_PREFIX_RE = re.compile(r"^(?:г\.|г |город )", re.IGNORECASE)  # "г. Москва", "город Сочи"
_DASHES = str.maketrans({"−": "-", "–": "-", "—": "-", "‐": "-", "‑": "-"})

# Russian ЙЦУКЕН <-> US QWERTY, same keys: "vjcrdf" is "москва" typed with the wrong layout.
_EN_KEYS = "qwertyuiop[]asdfghjkl;'zxcvbnm,.`"
_RU_KEYS = "йцукенгшщзхъфывапролджэячсмитьбюё"
_EN_TO_RU = str.maketrans(_EN_KEYS, _RU_KEYS)
_RU_TO_EN = str.maketrans(_RU_KEYS, _EN_KEYS)


def _fold(text: str) -> str:
    """Reduce a name to a lookup key: casefold, ё→е, no accents, spaces or punctuation."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    out: list[str] = []
    for ch in text:
        if ch == "й":  # NFKD would turn й into и, a different letter in Russian
            out.append(ch)
            continue
        base = unicodedata.normalize("NFKD", ch)[0]  # "São Paulo" -> "sao paulo"
        if base.isalnum():
            out.append(base)
    return "".join(out)


@cache
def _zone_names() -> frozenset[str]:
    """All loadable IANA names (scanning tzdata takes ~20 ms, so do it once)."""
    return frozenset(available_timezones() - _NOT_ZONES)


@cache
def _zone_aliases() -> dict[str, str]:
    """Backward-compatible tzdata names -> current ones, as CLDR/Babel know them."""
    names = _zone_names()
    aliases: dict[str, str] = get_global("zone_aliases")
    return {old: new for old, new in aliases.items() if new in names}


def _canonical(zone: str) -> str:
    """Current name for a tzdata alias: Europe/Kiev -> Europe/Kyiv, any UTC spelling -> UTC."""
    if zone in _UTC_NAMES:
        return "UTC"
    return _zone_aliases().get(zone, zone)


@cache
def _lower_names() -> dict[str, str]:
    """Case-insensitive exact IANA names, "America/New York" spelled with a space included."""
    names: dict[str, str] = {}
    for zone in sorted(_zone_names()):
        names[zone.casefold()] = zone
        names.setdefault(zone.casefold().replace("_", " "), zone)
    return names


@cache
def _name_index() -> dict[str, str]:
    """Folded name -> zone (~1700 keys), built once on first parse."""
    # Measured 47-52 ms on the dev box, mostly the tzdata directory scan (~20 ms) and loading the
    # ru/en CLDR data (~18 ms): well under the 100 ms budget, so the CLDR city names stay in.
    index: dict[str, str] = {}
    names = _zone_names()

    def add(key_source: str, zone: str) -> None:
        """Add a name unless a higher-priority source already claimed it."""
        key = _fold(key_source)
        if key and zone in names:
            index.setdefault(key, _canonical(zone))

    # Priority order: hand table, full IANA ids, CLDR exemplar cities, last path components.
    for zone, spellings in _CITY_NAMES.items():
        for spelling in spellings:
            add(spelling, zone)
    for zone in sorted(names):
        # Etc/GMT+5 and Etc/GMT-5 fold to the same key, so those are only matched exactly.
        if not zone.startswith("Etc/GMT"):
            add(zone, zone)
    for locale_name in ("ru", "en"):
        for zone, data in sorted(Locale.parse(locale_name).time_zones.items()):
            if city := data.get("city"):
                add(city, zone)
    # Deeper (America/Argentina/Buenos_Aires) and non-alias ids first when last components clash.
    aliases = _zone_aliases()
    for zone in sorted(names, key=lambda z: (z in aliases, -z.count("/"), z)):
        area, _, city = zone.rpartition("/")
        if area.split("/")[0] in _CITY_AREAS and city not in _NOT_CITIES:
            add(city.replace("_", " "), zone)
    return index


def _offset_zone(minutes: int, now: datetime) -> str | None:
    """Pick a zone for a fixed UTC offset: a natural real zone if it fits, else Etc/GMT∓N."""
    if not _MIN_OFFSET <= minutes <= _MAX_OFFSET:
        return None
    preferred = _OFFSET_ZONES.get(minutes)
    if preferred is not None and _is_fixed_at(preferred, timedelta(minutes=minutes), now):
        return preferred
    if minutes % 60:
        return None  # no Etc zone for half hours, and guessing a DST city would drift
    hours = minutes // 60
    if hours == 0:
        return "UTC"
    # POSIX-style inverted sign: Etc/GMT-5 is five hours AHEAD of UTC.
    return f"Etc/GMT{-hours:+d}"


def _is_fixed_at(zone: str, offset: timedelta, now: datetime) -> bool:
    """Whether `zone` is at `offset` now and all year (no DST that would shift it later)."""
    tz = ZoneInfo(zone)
    probes = (now, datetime(now.year, 1, 15, tzinfo=UTC), datetime(now.year, 7, 15, tzinfo=UTC))
    return all(p.astimezone(tz).utcoffset() == offset for p in probes)


def _parse_offset(compact: str) -> int | None:
    """Read "utc+3", "+03:00", "gmt-5", "мск+7" (whitespace already removed) as minutes east."""
    match = _OFFSET_RE.match(compact)
    if match is None:
        return None
    base, sign = match["base"], match["sign"]
    if base is None and sign is None:
        return None  # a bare number ("3", "123456") is not an offset
    minutes = int(match["m"] or 0)
    if minutes not in (0, 30, 45):  # the only minute parts real offsets use
        return None
    value = int(match["h"]) * 60 + minutes
    if sign == "-":
        value = -value
    if base in ("мск", "msk"):
        value += _MSK_OFFSET
    return value


def _lookup(text: str) -> str | None:
    """Exact lookup of one piece of text in IANA ids and the folded name index."""
    stripped = _CITY_PREFIX_RE.sub("", text.strip()).strip()
    key = _fold(stripped)
    if not key:
        return None
    # The index first: its hand table deliberately overrides a few real ids (EST, CET) with what
    # people mean by them. Exact ids are still needed for Etc/GMT±N, which the index leaves out.
    if (hit := _name_index().get(key)) is not None:
        return hit
    exact = _lower_names().get(stripped.casefold())
    return None if exact is None else _canonical(exact)


def _ranked(scored: Iterable[tuple[str, float]]) -> list[tuple[str, float]]:
    """Best score per zone, best first (ties keep first-seen order, i.e. index priority)."""
    best: dict[str, float] = {}
    for zone, score in scored:
        if score > best.get(zone, -1.0):
            best[zone] = score
    return sorted(best.items(), key=lambda item: -item[1])


def _fuzzy(key: str) -> TzGuess:
    """Typo-tolerant match of a folded key against all known names."""
    if len(key) < _MIN_FUZZY_LEN:
        return TzGuess(None)
    # rapidfuzz (~2.5 MB) loads on the first mistyped zone, not on every start of the bot.
    from rapidfuzz import fuzz, process

    index = _name_index()
    matches = process.extract(
        key, index.keys(), scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF, limit=None
    )
    ranked = _ranked((index[name], score) for name, score, _ in matches)
    if not ranked:
        # Unfinished input ("Петропавловск", "Екатер") is a prefix, not a typo.
        ranked = _ranked((zone, 0.0) for name, zone in index.items() if name.startswith(key))
        if len(ranked) > MAX_SUGGESTIONS * 2:  # too unspecific to be worth buttons
            ranked = []
    if not ranked:
        return TzGuess(None)
    top_zone, top_score = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    if top_score >= _AUTO_ACCEPT and top_score - runner_up >= _AUTO_MARGIN:
        return TzGuess(top_zone)
    return TzGuess(None, tuple(zone for zone, _ in ranked[:MAX_SUGGESTIONS]))


def parse_timezone(text: str) -> TzGuess:
    """Read a time zone from free text: IANA id, city (ru/en), UTC/GMT/МСК offset, or a typo."""
    text = unicodedata.normalize("NFKC", text or "").translate(_DASHES).strip()
    if not text:
        return TzGuess(None)
    compact = re.sub(r"\s+", "", text.casefold())
    if (offset := _parse_offset(compact)) is not None:
        return TzGuess(_offset_zone(offset, datetime.now(UTC)))
    if (zone := _lookup(text)) is not None:
        return TzGuess(zone)
    # "Москва, Россия" / "Berlin, Germany": the first recognisable part wins.
    if "," in text or ";" in text:
        for part in re.split(r"[,;]", text):
            if (zone := _lookup(part)) is not None:
                return TzGuess(zone)
    if not any(ch.isalpha() for ch in text):
        return TzGuess(None)  # "123456" and friends: nothing to fuzzy-match
    # Wrong keyboard layout is the most common "typo" for Russian speakers; an exact hit after
    # swapping is unambiguous, unlike fuzzy matching, so it is accepted directly.
    lowered = text.casefold()
    for swapped in (lowered.translate(_EN_TO_RU), lowered.translate(_RU_TO_EN)):
        if swapped != lowered and len(_fold(swapped)) >= 3 and (zone := _lookup(swapped)):
            return TzGuess(zone)
    return _fuzzy(_fold(_CITY_PREFIX_RE.sub("", text)))


# timezonefinder is created lazily and only once: it pulls in numpy/h3 and reads from ~32 MB of
# polygon data. Measured on the dev box (Python 3.11, timezonefinder 9.0.0 + data 2026.3, warm
# page cache, 5 fresh processes): `import timezonefinder` 18-37 ms / +2-4 MB RSS;
# TimezoneFinder() 140-220 ms / +19.4 MB RSS; first lookup 5-16 ms / +2.3 MB (pages in shortcuts);
# later lookups 3-7 µs each; after 2000 random lookups the total added RSS is ~31-34 MB.
# The ~0.2 s first call blocks, so async callers should use asyncio.to_thread (the lock below
# makes that safe) or call timezone_from_location once at startup to warm it.
_finder: TimezoneFinder | None = None
_finder_lock = threading.Lock()


def _get_finder() -> TimezoneFinder:
    """Return the process-wide TimezoneFinder, building it on first use."""
    global _finder
    if _finder is None:
        with _finder_lock:  # double-checked: two first callers must not build two finders
            if _finder is None:
                from timezonefinder import TimezoneFinder  # heavy import kept off bot startup

                _finder = TimezoneFinder()
    return _finder


def timezone_from_location(latitude: float, longitude: float) -> str | None:
    """Offline IANA zone for a shared location (open sea gives Etc/GMT±N), None if invalid."""
    try:
        lat, lng = float(latitude), float(longitude)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lng) and -90 <= lat <= 90 and -180 <= lng <= 180):
        return None
    try:
        zone = _get_finder().timezone_at(lng=lng, lat=lat)
    except ValueError:  # out-of-range coordinates, should the bounds above ever disagree
        return None
    if zone is None or zone not in _zone_names():
        return None  # polygon data newer than tzdata: a name ZoneInfo could not load
    return _canonical(zone)


@cache
def _locale(name: str) -> Locale:
    """Babel locale for "ru", "ru-RU", "en_US" …; English when unknown."""
    try:
        return Locale.parse(name.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale.parse("en")


def _format_offset(offset: timedelta) -> str:
    """Format like UTC+3, UTC+5:30, UTC-5, UTC+0 (ASCII minus keeps it simple)."""
    total = round(offset.total_seconds() / 60)
    sign = "-" if total < 0 else "+"
    hours, minutes = divmod(abs(total), 60)
    return f"UTC{sign}{hours}:{minutes:02d}" if minutes else f"UTC{sign}{hours}"


def _city_name(zone: str, locale: Locale) -> str:
    """Localized exemplar city from CLDR, or the IANA id when CLDR has no city for it."""
    canonical = _zone_aliases().get(zone, zone)
    area = canonical.split("/")[0]
    if "/" not in canonical or area not in _CITY_AREAS:
        return zone  # EST5EDT, CST6CDT …: no city to show
    try:
        # Babel falls back to the id's last component ("Boise") where the locale has no name,
        # which is exactly CLDR's rule for English exemplar cities.
        return get_timezone_location(canonical, locale=locale, return_city=True)
    except LookupError:
        return zone


def describe_zone(zone: str, now: datetime, locale: str) -> str:
    """Human label like "Москва (UTC+3)"; `now` picks the offset (naive `now` is taken as UTC)."""
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return zone  # a stale id from storage should not crash a settings screen
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    offset = _format_offset(now.astimezone(tz).utcoffset() or timedelta(0))
    if zone in _UTC_NAMES:
        return "UTC"
    if zone.startswith("Etc/"):
        return offset  # "Etc/GMT-5" means UTC+5; showing the id would only confuse
    return f"{_city_name(zone, _locale(locale))} ({offset})"
