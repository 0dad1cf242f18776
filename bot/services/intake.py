"""Website lead intake: validating a posted form into a lead, without any HTTP or Telegram."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import re
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.parsing.leadtext import Contact, LeadText, parse_lead_text

MAX_BODY = 64 * 1024
MAX_KEY = 200
MAX_FIELDS = 30
MAX_SECRET = 64
LIMITS = {"name": 200, "phone": 64, "email": 320, "message": 4000, "source": 200}
EXTRA_LIMIT = 1000
# What a lead made from a message alone is called: the message's first words.
MESSAGE_NAME_LEN = 60
EXAMPLE = '{"name": "Ivan", "phone": "+7 999 123-45-67", "message": "Landing page"}'

# Field names site builders use (Tilda, WordPress Contact Form 7, Bitrix, hand-made forms),
# after _field_key: lowercase, spaces and dashes as underscores.
ALIASES: dict[str, str] = {
    **dict.fromkeys(
        (
            "name",
            "fio",
            "full_name",
            "fullname",
            "first_name",
            "firstname",
            "your_name",
            "client_name",
            "contact_name",
        ),
        "name",
    ),
    **dict.fromkeys(("имя", "фио", "ваше_имя", "имя_клиента"), "name"),
    **dict.fromkeys(
        ("phone", "tel", "telephone", "phone_number", "phonenumber", "mobile", "your_phone"),
        "phone",
    ),
    **dict.fromkeys(("телефон", "тел", "номер_телефона", "ваш_телефон", "мобильный"), "phone"),
    **dict.fromkeys(("email", "e_mail", "mail", "your_email", "emailaddress"), "email"),
    **dict.fromkeys(("почта", "эл_почта", "электронная_почта", "ваш_email"), "email"),
    **dict.fromkeys(
        ("message", "comment", "comments", "text", "msg", "question", "your_message", "textarea"),
        "message",
    ),
    **dict.fromkeys(("сообщение", "комментарий", "вопрос", "текст", "ваш_вопрос"), "message"),
    **dict.fromkeys(("source", "источник"), "source"),
}
# Fields forms add for their own use (anti-spam tokens, form ids): nothing for a manager, and a
# captcha token alone is longer than any note field may be.
IGNORED = frozenset(
    (
        "g_recaptcha_response",
        "h_captcha_response",
        "cf_turnstile_response",
        "formid",
        "form_id",
        "tranid",
        "cookies",
        "submit",
        "nonce",
    )
)
# UTM tags that say where the visitor came from: they make the lead's source.
SOURCE_TAGS = ("utm_source", "utm_medium", "utm_campaign")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SECRET_SHAPE = re.compile(r"[A-Za-z0-9_-]+")


class IntakeError(ValueError):
    """A request that makes no lead: the HTTP status and a reason safe to return."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class IntakeLead:
    """A validated form: the lead text parts and where it came from."""

    lead: LeadText
    source: str


def plausible_secret(given: str) -> bool:
    """Whether `given` could be an intake secret at all, so garbage never reaches the database."""
    return 0 < len(given) <= MAX_SECRET and _SECRET_SHAPE.fullmatch(given) is not None


def secret_matches(stored: str, given: str) -> bool:
    """The secret found by the lookup is really the one given, compared in constant time."""
    # The lookup is an equality on a unique index. Its timing can tell at most where a guess
    # sorts among stored secrets, drowned in network and database noise, never how much of a
    # 192-bit secret it got right; this compare also guards databases whose collation would
    # let a differently cased guess through.
    return hmac.compare_digest(stored.encode(), given.encode())


def lead_ref(key: bytes, workspace_id: int, client_id: int) -> str:
    """The id a website is told for its lead: stable, but says nothing of how many leads exist."""
    message = f"lead:{workspace_id}:{client_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:16]


def _field_key(key: str) -> str:
    """A field name the way site builders vary it: `E-mail`, `Your Name`, `ИМЯ` all match."""
    return re.sub(r"[\s-]+", "_", key.strip().casefold())


def _ignored(key: str) -> bool:
    """A form's own bookkeeping field (captcha token, form id, a `_`-prefixed hidden field)."""
    norm = _field_key(key)
    return norm in IGNORED or norm.startswith("_")


def _text(key: str, value: object) -> str:
    """A form value as text, or a 400 naming the field."""
    if value is None:
        return ""
    if isinstance(value, list) and all(_scalar(v) for v in value):
        # A group of checkboxes posted as a JSON array.
        text = ", ".join(_scalar_text(v) for v in value if v is not None)
    elif _scalar(value):
        text = _scalar_text(value)
    else:
        raise IntakeError(400, f"field {key!r} must be text, like {EXAMPLE}")
    return _clean(key, text)


def _scalar(value: object) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _scalar_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _clean(key: str, text: str) -> str:
    """Text that can be stored and sent: valid Unicode, no control characters."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate from a JSON \ud800 escape
        raise IntakeError(400, f"field {key!r} is not valid Unicode text") from exc
    return _CONTROL.sub("", text).strip()


def _contacts(kind: str, raw: str, label: str, example: str) -> list[Contact]:
    """The contacts of one kind in a field, or a 400 with an example."""
    found = [c for c in parse_lead_text(", " + raw).contacts if c.kind == kind]
    if not found:
        raise IntakeError(400, f"field {label!r} is not {example}")
    return found


def validate(fields: Mapping[str, object]) -> IntakeLead:
    """Check every field and build the lead; unknown fields are kept as notes."""
    if len(fields) > MAX_FIELDS:
        raise IntakeError(400, f"too many fields (at most {MAX_FIELDS})")
    values: dict[str, str] = {}
    labels: dict[str, str] = {}
    tags: dict[str, str] = {}
    extras: list[str] = []
    for key, raw in fields.items():
        if not isinstance(key, str) or not key.strip() or len(key) > 64:
            raise IntakeError(400, "field names must be text of 1 to 64 characters")
        try:
            key.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise IntakeError(400, "field names must be valid Unicode text") from exc
        if _ignored(key):
            continue
        norm = _field_key(key)
        value = _text(key, raw)
        if not value:
            continue
        canonical = ALIASES.get(norm)
        limit = LIMITS[canonical] if canonical else EXTRA_LIMIT
        if len(value) > limit:
            raise IntakeError(400, f"field {key!r} is longer than {limit} characters")
        if canonical and canonical not in values:
            values[canonical] = value
            labels[canonical] = key
        elif norm in SOURCE_TAGS and norm not in tags:
            tags[norm] = value
        else:
            extras.append(f"{key}: {value}")
    contacts: list[Contact] = []
    if "phone" in values:
        contacts += _contacts(
            "phone", values["phone"], labels["phone"], "a phone number (e.g. +7 999 123-45-67)"
        )
    if "email" in values:
        contacts += _contacts(
            "email", values["email"], labels["email"], "an e-mail address (e.g. name@example.com)"
        )
    message = values.get("message", "")
    if not contacts and not message:
        raise IntakeError(
            400, f"the form has no phone, e-mail or message: send at least one, like {EXAMPLE}"
        )
    name = values.get("name", "")
    if not name and not contacts:
        # Contacts name a lead themselves (see lead_name); a bare message needs words of its own.
        first = message.splitlines()[0].strip()
        name = first if len(first) <= MESSAGE_NAME_LEN else first[: MESSAGE_NAME_LEN - 1] + "…"
    note = "\n".join([message, *extras] if message else extras)
    source = values.get("source") or "website"
    if tags:
        source = f"{source} · {' / '.join(tags[t] for t in SOURCE_TAGS if t in tags)}"
    return IntakeLead(LeadText(name, tuple(contacts), note), source[: LIMITS["source"]])


def fingerprint(fields: Mapping[str, object]) -> str:
    """A digest of the posted fields: the same form posted twice gives the same digest."""
    # Captcha tokens and transaction ids differ on every submit, even a double click.
    kept = {str(k): str(v).strip() for k, v in fields.items() if not _ignored(str(k))}
    canonical = json.dumps(kept, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def idempotency_key(header: str | None) -> str | None:
    """The Idempotency-Key header, checked; None when absent."""
    if header is None or not header.strip():
        return None
    key = header.strip()
    if len(key) > MAX_KEY:
        raise IntakeError(400, f"Idempotency-Key is longer than {MAX_KEY} characters")
    return key


def client_key(peer: str | None, forwarded_for: str | None) -> str:
    """Who is posting, for counting failed attempts: an IPv4 address or an IPv6 /64."""
    address = peer or "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if (ip.is_loopback or ip.is_private) and forwarded_for:
        # Behind a reverse proxy every post comes from the proxy: the address it appended last
        # is the real client (earlier entries are whatever the client claimed). A client that
        # connects from outside cannot pick its own key this way.
        last = forwarded_for.split(",")[-1].strip()
        try:
            ip = ipaddress.ip_address(last)
        except ValueError:
            return address
    if ip.version == 6:
        # One host owns a whole /64; counting single addresses would give it 2^64 tries.
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class FailureLimiter:
    """Counts failed attempts per client; too many within the window shuts that client out."""

    def __init__(
        self, limit: int = 10, window: timedelta = timedelta(minutes=1), clients: int = 10_000
    ) -> None:
        self.limit = limit
        self.window = window
        self.clients = clients
        self._failures: dict[str, deque[datetime]] = {}

    def _recent(self, key: str, now: datetime) -> deque[datetime] | None:
        times = self._failures.get(key)
        if times is None:
            return None
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._failures[key]
            return None
        return times

    def retry_after(self, key: str, now: datetime) -> timedelta | None:
        """How long `key` must wait before trying again; None when it may try now."""
        times = self._recent(key, now)
        if times is None or len(times) < self.limit:
            return None
        return times[-self.limit] + self.window - now

    def failed(self, key: str, now: datetime) -> None:
        """Count one failed attempt by `key`."""
        times = self._recent(key, now)
        if times is None:
            if len(self._failures) >= self.clients:
                self._forget(now)
            times = self._failures.setdefault(key, deque(maxlen=self.limit))
        times.append(now)

    def _forget(self, now: datetime) -> None:
        """Keep memory bounded under a flood from many addresses: expired first, then oldest."""
        for key in list(self._failures):
            self._recent(key, now)
        while len(self._failures) >= self.clients:
            del self._failures[next(iter(self._failures))]
