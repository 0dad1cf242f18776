"""Website lead intake: validating a posted form into a lead, without any HTTP or Telegram."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass

from bot.parsing.leadtext import Contact, LeadText, parse_lead_text

MAX_BODY = 64 * 1024
MAX_KEY = 200
MAX_FIELDS = 30
LIMITS = {"name": 200, "phone": 64, "email": 320, "message": 4000, "source": 200}
EXTRA_LIMIT = 1000


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


def match_secret(secrets: list[tuple[int, str]], given: str) -> int | None:
    """The workspace whose secret equals `given`, comparing every one in constant time."""
    found = None
    for workspace_id, secret in secrets:
        # No early exit: the time taken does not depend on which secret (if any) matched.
        if hmac.compare_digest(secret.encode(), given.encode()):
            found = workspace_id
    return found


def _text(key: str, value: object) -> str:
    """A form value as text, or a 400 naming the field."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise IntakeError(400, f"field {key!r} must be a string")
    return str(value).strip()


def validate(fields: Mapping[str, object]) -> IntakeLead:
    """Check every field and build the lead; unknown fields are kept as notes."""
    if len(fields) > MAX_FIELDS:
        raise IntakeError(400, f"too many fields (at most {MAX_FIELDS})")
    values: dict[str, str] = {}
    extras: list[str] = []
    for key, raw in fields.items():
        if not isinstance(key, str) or len(key) > 64:
            raise IntakeError(400, "field names must be strings of at most 64 characters")
        value = _text(key, raw)
        limit = LIMITS.get(key, EXTRA_LIMIT)
        if len(value) > limit:
            raise IntakeError(400, f"field {key!r} is longer than {limit} characters")
        if key in LIMITS:
            values[key] = value
        elif value:
            extras.append(f"{key}: {value}")
    name = values.get("name", "")
    if not name:
        raise IntakeError(400, "field 'name' is required")
    contacts: list[Contact] = []
    if values.get("phone"):
        found = [c for c in parse_lead_text(", " + values["phone"]).contacts if c.kind == "phone"]
        if not found:
            raise IntakeError(400, "field 'phone' is not a phone number")
        contacts += found
    if values.get("email"):
        found = [c for c in parse_lead_text(", " + values["email"]).contacts if c.kind == "email"]
        if not found:
            raise IntakeError(400, "field 'email' is not an e-mail address")
        contacts += found
    message = [values["message"]] if values.get("message") else []
    note = "\n".join([*message, *extras])
    return IntakeLead(LeadText(name, tuple(contacts), note), values.get("source") or "website")


def fingerprint(fields: Mapping[str, object]) -> str:
    """A digest of the posted fields: the same form posted twice gives the same digest."""
    canonical = json.dumps(
        {str(k): str(v).strip() for k, v in fields.items()}, sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotency_key(header: str | None) -> str | None:
    """The Idempotency-Key header, checked; None when absent."""
    if header is None or not header.strip():
        return None
    key = header.strip()
    if len(key) > MAX_KEY:
        raise IntakeError(400, f"Idempotency-Key is longer than {MAX_KEY} characters")
    return key
