"""Tests for bot.parsing.timezones: reading time zones from text and shared locations."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, available_timezones

import pytest

from bot.parsing import timezones as tzinput
from bot.parsing.timezones import (
    COMMON_ZONES,
    TzGuess,
    describe_zone,
    parse_timezone,
    timezone_from_location,
)

WINTER = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
SUMMER = datetime(2025, 7, 15, 12, 0, tzinfo=UTC)


def _assert_exact(text: str, zone: str) -> None:
    """The input is understood as exactly `zone`, with nothing to choose from."""
    guess = parse_timezone(text)
    assert guess == TzGuess(zone, ()), f"{text!r} -> {guess}"
    ZoneInfo(zone)  # whatever we return must be loadable


IANA_NAMES = [
    ("Europe/Berlin", "Europe/Berlin"),
    ("europe/berlin", "Europe/Berlin"),
    ("EUROPE/BERLIN", "Europe/Berlin"),
    ("  Asia/Almaty  ", "Asia/Almaty"),
    ("asia/almaty", "Asia/Almaty"),
    ("America/New_York", "America/New_York"),
    ("america/new york", "America/New_York"),  # space instead of underscore
    ("America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires"),
    # Every zero-offset spelling is stored as one name.
    ("UTC", "UTC"),
    ("utc", "UTC"),
    ("GMT", "UTC"),
    ("Etc/UTC", "UTC"),
    ("etc/gmt", "UTC"),
    ("Zulu", "UTC"),
    # Backward-compatible names come back as the current ones.
    ("Europe/Kiev", "Europe/Kyiv"),
    ("Asia/Calcutta", "Asia/Kolkata"),
    ("US/Eastern", "America/New_York"),
    ("W-SU", "Europe/Moscow"),
    ("Japan", "Asia/Tokyo"),
    # Literal Etc ids keep POSIX's inverted sign: Etc/GMT+5 is UTC-5.
    ("Etc/GMT+5", "Etc/GMT+5"),
    ("etc/gmt-14", "Etc/GMT-14"),
]

RU_CITIES = [
    ("Москва", "Europe/Moscow"),
    ("москва", "Europe/Moscow"),
    ("МОСКВА", "Europe/Moscow"),
    ("мск", "Europe/Moscow"),
    ("МСК", "Europe/Moscow"),
    ("Питер", "Europe/Moscow"),
    ("Санкт-Петербург", "Europe/Moscow"),
    ("санкт петербург", "Europe/Moscow"),
    ("СанктПетербург", "Europe/Moscow"),
    ("СПб", "Europe/Moscow"),
    ("Владивосток", "Asia/Vladivostok"),
    ("Екатеринбург", "Asia/Yekaterinburg"),
    ("Новосибирск", "Asia/Novosibirsk"),
    ("Калининград", "Europe/Kaliningrad"),
    ("Самара", "Europe/Samara"),
    ("Омск", "Asia/Omsk"),
    ("Красноярск", "Asia/Krasnoyarsk"),
    ("Иркутск", "Asia/Irkutsk"),
    ("Хабаровск", "Asia/Vladivostok"),
    ("Якутск", "Asia/Yakutsk"),
    ("Магадан", "Asia/Magadan"),
    ("Камчатка", "Asia/Kamchatka"),
    ("Петропавловск-Камчатский", "Asia/Kamchatka"),
    ("Казань", "Europe/Moscow"),
    ("Нижний Новгород", "Europe/Moscow"),
    ("нижний-новгород", "Europe/Moscow"),
    ("Ростов", "Europe/Moscow"),
    ("Сочи", "Europe/Moscow"),
    ("Краснодар", "Europe/Moscow"),
    ("Уфа", "Asia/Yekaterinburg"),
    ("Пермь", "Asia/Yekaterinburg"),
    ("Челябинск", "Asia/Yekaterinburg"),
    ("Тюмень", "Asia/Yekaterinburg"),
    ("Минск", "Europe/Minsk"),
    ("Киев", "Europe/Kyiv"),
    ("Київ", "Europe/Kyiv"),
    ("Алматы", "Asia/Almaty"),
    ("Алма-Ата", "Asia/Almaty"),
    ("Алма Ата", "Asia/Almaty"),
    ("Астана", "Asia/Almaty"),
    ("Ташкент", "Asia/Tashkent"),
    ("Тбилиси", "Asia/Tbilisi"),
    ("Ереван", "Asia/Yerevan"),
    ("Баку", "Asia/Baku"),
    ("Бишкек", "Asia/Bishkek"),
    ("Дубай", "Asia/Dubai"),
    ("Стамбул", "Europe/Istanbul"),
    ("Лондон", "Europe/London"),
    ("Берлин", "Europe/Berlin"),
    ("Париж", "Europe/Paris"),
    ("Рим", "Europe/Rome"),
    ("Мадрид", "Europe/Madrid"),
    ("Варшава", "Europe/Warsaw"),
    ("Прага", "Europe/Prague"),
    ("Рига", "Europe/Riga"),
    ("Таллин", "Europe/Tallinn"),
    ("Вильнюс", "Europe/Vilnius"),
    ("Хельсинки", "Europe/Helsinki"),
    ("Белград", "Europe/Belgrade"),
    ("Лиссабон", "Europe/Lisbon"),
    ("Нью-Йорк", "America/New_York"),
    ("нью йорк", "America/New_York"),
    ("Лос-Анджелес", "America/Los_Angeles"),
    ("Чикаго", "America/Chicago"),
    ("Торонто", "America/Toronto"),
    ("Сан-Франциско", "America/Los_Angeles"),
    ("Майами", "America/New_York"),
    ("Бангкок", "Asia/Bangkok"),
    ("Пхукет", "Asia/Bangkok"),
    ("Бали", "Asia/Makassar"),
    ("Денпасар", "Asia/Makassar"),
    ("Сингапур", "Asia/Singapore"),
    ("Гонконг", "Asia/Hong_Kong"),
    ("Пекин", "Asia/Shanghai"),
    ("Шанхай", "Asia/Shanghai"),
    ("Токио", "Asia/Tokyo"),
    ("Сеул", "Asia/Seoul"),
    ("Дели", "Asia/Kolkata"),
    ("Тель-Авив", "Asia/Jerusalem"),
    ("Кипр", "Asia/Nicosia"),
    ("Лимассол", "Asia/Nicosia"),
    # ё = е, a "г." prefix, and a trailing country are all tolerated.
    ("Ёкатеринбург", "Asia/Yekaterinburg"),
    ("г. Москва", "Europe/Moscow"),
    ("Москва, Россия", "Europe/Moscow"),
]

EN_CITIES = [
    ("Moscow", "Europe/Moscow"),
    ("moscow", "Europe/Moscow"),
    ("Saint Petersburg", "Europe/Moscow"),
    ("Saint-Petersburg", "Europe/Moscow"),
    ("St Petersburg", "Europe/Moscow"),
    ("St. Petersburg", "Europe/Moscow"),
    ("Vladivostok", "Asia/Vladivostok"),
    ("Yekaterinburg", "Asia/Yekaterinburg"),
    ("Ekaterinburg", "Asia/Yekaterinburg"),
    ("Kyiv", "Europe/Kyiv"),
    ("Kiev", "Europe/Kyiv"),
    ("New York", "America/New_York"),
    ("NEW YORK", "America/New_York"),
    ("NYC", "America/New_York"),
    ("Los Angeles", "America/Los_Angeles"),
    ("LA", "America/Los_Angeles"),
    ("San Francisco", "America/Los_Angeles"),
    ("London", "Europe/London"),
    ("Berlin", "Europe/Berlin"),
    ("Berlin, Germany", "Europe/Berlin"),
    ("Dubai", "Asia/Dubai"),
    ("Bali", "Asia/Makassar"),
    ("Tel Aviv", "Asia/Jerusalem"),
    ("Limassol", "Asia/Nicosia"),
    # What people mean by these abbreviations, not IANA's fixed-offset EST/CET.
    ("EST", "America/New_York"),
    ("CET", "Europe/Berlin"),
]

# Nothing hand-made: the last component of any IANA id, and CLDR's ru/en exemplar cities.
FALLBACK_NAMES = [
    ("Almaty", "Asia/Almaty"),
    ("Yerevan", "Asia/Yerevan"),
    ("Sao Paulo", "America/Sao_Paulo"),
    ("São Paulo", "America/Sao_Paulo"),
    ("los angeles", "America/Los_Angeles"),
    ("Kathmandu", "Asia/Kathmandu"),
    ("Buenos Aires", "America/Argentina/Buenos_Aires"),
    ("Indianapolis", "America/Indiana/Indianapolis"),
    ("Istanbul", "Europe/Istanbul"),
    ("Ho Chi Minh City", "Asia/Ho_Chi_Minh"),  # CLDR English exemplar city
    ("Амстердам", "Europe/Amsterdam"),  # CLDR Russian exemplar city
    ("Сан-Паулу", "America/Sao_Paulo"),
    ("Рейкьявик", "Atlantic/Reykjavik"),
    ("Калькутта", "Asia/Kolkata"),
]

OFFSETS = [
    ("UTC+3", "Europe/Moscow"),
    ("utc +3", "Europe/Moscow"),
    ("UTC + 3", "Europe/Moscow"),
    ("GMT+3", "Europe/Moscow"),  # human GMT+3, not POSIX Etc/GMT+3
    ("+3", "Europe/Moscow"),
    ("+03:00", "Europe/Moscow"),
    ("+0300", "Europe/Moscow"),
    ("UTC+0", "UTC"),
    ("GMT-0", "UTC"),
    ("+2", "Europe/Kaliningrad"),
    ("+4", "Europe/Samara"),
    ("UTC+5", "Asia/Yekaterinburg"),
    ("+6", "Asia/Omsk"),
    ("+7", "Asia/Novosibirsk"),
    ("+8", "Asia/Irkutsk"),
    ("+9", "Asia/Yakutsk"),
    ("+10", "Asia/Vladivostok"),
    ("+11", "Asia/Magadan"),
    ("+12", "Asia/Kamchatka"),
    ("UTC+5:30", "Asia/Kolkata"),
    ("utc+05:30", "Asia/Kolkata"),
    ("+5:45", "Asia/Kathmandu"),
    ("UTC+3:30", "Asia/Tehran"),
    ("UTC-9:30", "Pacific/Marquesas"),
    ("МСК+7", "Asia/Vladivostok"),
    ("мск+7", "Asia/Vladivostok"),
    ("мск-1", "Europe/Kaliningrad"),
    ("МСК+0", "Europe/Moscow"),
    ("msk+2", "Asia/Yekaterinburg"),
    ("МСК +3", "Asia/Omsk"),
    # No natural fixed zone: Etc/GMT with the inverted sign.
    ("GMT-5", "Etc/GMT+5"),
    ("UTC-5", "Etc/GMT+5"),
    ("UTC−5", "Etc/GMT+5"),  # typographic minus
    ("UTC+1", "Etc/GMT-1"),
    ("-3", "Etc/GMT+3"),
    ("+14", "Etc/GMT-14"),
    ("-12", "Etc/GMT+12"),
    ("+13", "Etc/GMT-13"),
]

NOT_UNDERSTOOD = [
    "",
    "   ",
    "asdfgh",
    "123456",
    "3",  # a bare number is not an offset
    "+15",
    "-13",
    "UTC+14:30",
    "мск+12",  # UTC+15
    "+5:15",  # not a real offset
    "+3:07",
    "-3:30",  # Newfoundland has DST, and Etc/GMT has no half hours
    "!!!",
    "qwerty",
    "Ханой",  # not a tz city and not close to one
]


@pytest.mark.parametrize(("text", "zone"), IANA_NAMES + RU_CITIES + EN_CITIES + FALLBACK_NAMES)
def test_names(text: str, zone: str) -> None:
    """IANA ids, hand-made and derived city names resolve exactly."""
    _assert_exact(text, zone)


@pytest.mark.parametrize(("text", "zone"), OFFSETS)
def test_offsets(text: str, zone: str) -> None:
    """UTC/GMT/МСК offsets map to a fixed real zone or Etc/GMT∓N."""
    _assert_exact(text, zone)


@pytest.mark.parametrize("text", NOT_UNDERSTOOD)
def test_garbage_and_out_of_range(text: str) -> None:
    """Nonsense and impossible offsets give neither a zone nor suggestions."""
    assert parse_timezone(text) == TzGuess(None, ())


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("vjcrdf", "Europe/Moscow"),  # "москва" on the English layout
        ("ьщысщц", "Europe/Moscow"),  # "moscow" on the Russian layout
        ("cg,", "Europe/Moscow"),  # "спб"
        ("Gjhneufkbz", "Europe/Lisbon"),  # "Португалия"
    ],
)
def test_wrong_keyboard_layout(text: str, zone: str) -> None:
    """Text typed with the other keyboard layout is recognised exactly."""
    _assert_exact(text, zone)


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("Моасква", "Europe/Moscow"),
        ("Владивасток", "Asia/Vladivostok"),
        ("Nwe York", "America/New_York"),
        ("Berlinn", "Europe/Berlin"),
        ("Новосибирсрк", "Asia/Novosibirsk"),
        ("Vladivostock", "Asia/Vladivostok"),
        ("Калининрад", "Europe/Kaliningrad"),
        ("Chikago", "America/Chicago"),
        ("Tokio", "Asia/Tokyo"),
        ("Москве", "Europe/Moscow"),
        ("Almati", "Asia/Almaty"),
    ],
)
def test_typos_find_the_right_zone(text: str, zone: str) -> None:
    """A typo is either accepted directly or offered as the first suggestion."""
    guess = parse_timezone(text)
    if guess.zone is not None:
        assert guess == TzGuess(zone, ())
    else:
        assert guess.suggestions[0] == zone
        assert len(guess.suggestions) <= tzinput.MAX_SUGGESTIONS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # One letter added/swapped in a long unique name: accepted without asking.
        ("Моасква", TzGuess("Europe/Moscow")),
        ("Berlinn", TzGuess("Europe/Berlin")),
        ("Владивасток", TzGuess("Asia/Vladivostok")),
        # A transposition scores under the auto-accept bar: ask.
        ("Nwe York", TzGuess(None, ("America/New_York",))),
        ("Tokio", TzGuess(None, ("Asia/Tokyo",))),
        # Unfinished input: offered, never silently accepted.
        ("Петропавловск", TzGuess(None, ("Asia/Kamchatka",))),
        ("Екатер", TzGuess(None, ("Asia/Yekaterinburg",))),
    ],
)
def test_typo_confidence(text: str, expected: TzGuess) -> None:
    """Pin where the auto-accept threshold sits for the brief's examples."""
    assert parse_timezone(text) == expected


def test_several_suggestions_are_capped_unique_and_valid() -> None:
    """Ambiguous input yields up to four distinct loadable zones, best first."""
    guess = parse_timezone("Порту")
    assert guess.zone is None
    assert guess.suggestions[0] == "Europe/Lisbon"  # "Португалия" is the closest name
    assert 2 <= len(guess.suggestions) <= 4
    assert len(set(guess.suggestions)) == len(guess.suggestions)
    for zone in guess.suggestions:
        ZoneInfo(zone)


def test_hand_table_is_consistent() -> None:
    """Every hand-made zone exists and no spelling points at two zones."""
    zones = available_timezones()
    seen: dict[str, str] = {}
    for zone, spellings in tzinput._CITY_NAMES.items():
        assert zone in zones
        for spelling in spellings:
            key = tzinput._fold(spelling)
            assert seen.setdefault(key, zone) == zone, f"{spelling!r}: {seen[key]} vs {zone}"
            assert parse_timezone(spelling).zone == zone


def test_offset_table_zones_are_fixed_now() -> None:
    """The preferred offset zones still have that offset and no DST in current tzdata."""
    now = datetime.now(UTC)
    for minutes, zone in tzinput._OFFSET_ZONES.items():
        assert tzinput._offset_zone(minutes, now) == zone


def test_offset_falls_back_to_etc_when_preferred_zone_moved() -> None:
    """If tzdata ever changes a preferred zone, whole hours degrade to Etc/GMT, not a wrong city."""
    # Moscow was UTC+4 all year in 2011-2014: it then no longer fits "UTC+3".
    assert tzinput._offset_zone(3 * 60, datetime(2013, 3, 1, tzinfo=UTC)) == "Etc/GMT-3"
    assert tzinput._offset_zone(5 * 60 + 30, datetime(2025, 3, 1, tzinfo=UTC)) == "Asia/Kolkata"


def test_name_index_builds_fast() -> None:
    """The lazily built index stays cheap (measured ~50 ms; generous bound against CI noise)."""
    tzinput._name_index.cache_clear()
    tzinput._zone_names.cache_clear()
    started = time.perf_counter()
    index = tzinput._name_index()
    elapsed = time.perf_counter() - started
    assert len(index) > 1000
    assert elapsed < 0.5


@pytest.mark.parametrize(
    ("latitude", "longitude", "zone"),
    [
        (55.75, 37.62, "Europe/Moscow"),
        (40.71, -74.0, "America/New_York"),
        (43.1, 131.9, "Asia/Vladivostok"),
        (59.94, 30.31, "Europe/Moscow"),  # Saint Petersburg
        (43.24, 76.89, "Asia/Almaty"),
        (52.52, 13.40, "Europe/Berlin"),
        (-8.65, 115.22, "Asia/Makassar"),  # Denpasar, Bali
    ],
)
def test_location(latitude: float, longitude: float, zone: str) -> None:
    """Shared coordinates resolve offline to the local zone."""
    assert timezone_from_location(latitude, longitude) == zone


def test_location_open_ocean_is_a_valid_zone() -> None:
    """Mid-ocean gives whatever timezonefinder's ocean zones say, as long as it loads."""
    zone = timezone_from_location(0.0, -140.0)
    assert zone is not None
    ZoneInfo(zone)


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [(91.0, 0.0), (0.0, 181.0), (-90.5, 10.0), (float("nan"), 0.0), (0.0, float("inf"))],
)
def test_location_rejects_impossible_coordinates(latitude: float, longitude: float) -> None:
    """Coordinates off the globe are not understood."""
    assert timezone_from_location(latitude, longitude) is None


def test_location_builds_one_finder() -> None:
    """The heavy TimezoneFinder is created once and reused."""
    timezone_from_location(55.75, 37.62)
    first = tzinput._finder
    timezone_from_location(40.71, -74.0)
    assert first is not None
    assert tzinput._finder is first


@pytest.mark.parametrize(
    ("zone", "now", "locale", "expected"),
    [
        ("Europe/Moscow", WINTER, "ru", "Москва (UTC+3)"),
        ("Europe/Moscow", SUMMER, "en", "Moscow (UTC+3)"),
        ("Europe/Berlin", WINTER, "ru", "Берлин (UTC+1)"),
        ("Europe/Berlin", SUMMER, "ru", "Берлин (UTC+2)"),
        ("Europe/Berlin", WINTER, "en", "Berlin (UTC+1)"),
        ("Europe/Berlin", SUMMER, "en", "Berlin (UTC+2)"),
        ("America/New_York", WINTER, "ru", "Нью-Йорк (UTC-5)"),
        ("America/New_York", SUMMER, "en", "New York (UTC-4)"),
        ("Asia/Almaty", WINTER, "ru", "Алматы (UTC+5)"),
        ("Asia/Almaty", WINTER, "en", "Almaty (UTC+5)"),
        ("Asia/Kolkata", SUMMER, "en", "Kolkata (UTC+5:30)"),
        ("Asia/Kathmandu", SUMMER, "ru", "Катманду (UTC+5:45)"),
        ("Pacific/Marquesas", SUMMER, "en", "Marquesas Islands (UTC-9:30)"),
        ("Europe/London", WINTER, "en", "London (UTC+0)"),
        ("Europe/Kiev", WINTER, "en", "Kyiv (UTC+2)"),  # alias still gets its city
        ("America/Boise", WINTER, "en", "Boise (UTC-7)"),  # English city derived from the id
        ("UTC", SUMMER, "ru", "UTC"),
        ("Etc/GMT-5", SUMMER, "ru", "UTC+5"),  # Etc sign is inverted; show the real offset
        ("Etc/GMT+5", SUMMER, "en", "UTC-5"),
        ("EST5EDT", WINTER, "en", "EST5EDT (UTC-5)"),  # no city: the id itself
        ("Europe/Berlin", SUMMER, "ru-RU", "Берлин (UTC+2)"),
        ("Europe/Berlin", SUMMER, "en_US", "Berlin (UTC+2)"),
        ("Europe/Berlin", SUMMER, "xx", "Berlin (UTC+2)"),  # unknown locale -> English
        ("Europe/Berlin", datetime(2025, 7, 15, 12), "en", "Berlin (UTC+2)"),  # naive = UTC
        ("No/Such_Zone", SUMMER, "en", "No/Such_Zone"),
    ],
)
def test_describe_zone(zone: str, now: datetime, locale: str, expected: str) -> None:
    """Labels combine the localized exemplar city with the offset at `now`."""
    assert describe_zone(zone, now, locale) == expected


def test_describe_zone_offset_follows_now_across_dst_switch() -> None:
    """The offset is taken at the injected instant, right around the EU spring switch."""
    before = datetime(2025, 3, 30, 0, 59, tzinfo=UTC)
    after = datetime(2025, 3, 30, 1, 0, tzinfo=UTC)
    assert describe_zone("Europe/Berlin", before, "en") == "Berlin (UTC+1)"
    assert describe_zone("Europe/Berlin", after, "en") == "Berlin (UTC+2)"


def test_common_zones() -> None:
    """Quick buttons are valid, distinct, parse back to themselves and have a label."""
    assert 6 <= len(COMMON_ZONES) <= 10
    assert len(set(COMMON_ZONES)) == len(COMMON_ZONES)
    offsets = {ZoneInfo(zone).utcoffset(WINTER.replace(tzinfo=None)) for zone in COMMON_ZONES}
    assert len(offsets) == len(COMMON_ZONES)  # every button is a different clock
    for zone in COMMON_ZONES:
        assert parse_timezone(zone) == TzGuess(zone)
        assert describe_zone(zone, WINTER, "ru").endswith(")")


def test_guess_is_immutable() -> None:
    """TzGuess is a frozen value object usable as a dict key."""
    guess = parse_timezone("Москва")
    with pytest.raises(AttributeError):
        guess.zone = "UTC"  # type: ignore[misc]
    assert {guess: 1}[TzGuess("Europe/Moscow", ())] == 1
