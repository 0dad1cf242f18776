"""One outbox row as one Bot API call, sent as JSON straight through the bot's aiohttp session.

aiogram sends a row by validating it into a pydantic method, dumping that into a form, and
validating Telegram's answer into a Message: under a burst those three cost more than the HTTP
request itself. The outbox payload already holds the call's parameters, built and checked by
aiogram types when it was queued (bot.telegram.outbox), and delivery needs only the answer's
message id. So a plain AiohttpSession gets the JSON body and the answer's id directly; every
answer that is not a plain success goes through aiogram's own check, so that errors raise
exactly aiogram's exceptions. Any other session (a proxy chain is still an AiohttpSession;
the tests' scripted ones are not) or a bot with request middlewares or default properties
keeps aiogram's whole path.
"""

from __future__ import annotations

import json
from typing import Any

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import SendMessage, TelegramMethod
from aiogram.types import Message
from aiohttp import ClientError, ClientTimeout
from aiohttp.payload import BytesPayload

from bot.telegram.outbox import build_method

NO_PREVIEW = {"is_disabled": True}
# One encoder for every call: json.dumps builds a new one whenever an option is not the default.
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def api_params(chat_id: int, method: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The Bot API parameters `build_method` makes of a row, as Telegram receives them."""
    # A test holds this equal to what aiogram sends for build_method(...).
    markup = payload.get("reply_markup")
    if method == "sendMessage":
        params: dict[str, Any] = {"chat_id": chat_id, "text": payload["text"]}
        if markup:
            params["reply_markup"] = markup["data"]
        if payload.get("parse_mode"):
            params["parse_mode"] = payload["parse_mode"]
        if payload.get("reply_to"):
            params["reply_parameters"] = {
                "message_id": payload["reply_to"],
                "allow_sending_without_reply": True,
            }
        params["link_preview_options"] = NO_PREVIEW
        return params
    if method == "editMessageReplyMarkup":
        params = {"chat_id": chat_id, "message_id": payload["message_id"]}
        if markup and markup["type"] == "inline":
            params["reply_markup"] = markup["data"]
        return params
    if method == "editMessageText":
        params = {"chat_id": chat_id, "message_id": payload["message_id"], "text": payload["text"]}
        if markup and markup["type"] == "inline":
            params["reply_markup"] = markup["data"]
        if payload.get("parse_mode"):
            params["parse_mode"] = payload["parse_mode"]
        params["link_preview_options"] = NO_PREVIEW
        return params
    raise ValueError(f"unknown outbox method {method!r}")


def message_id(result: Any) -> int | None:
    """The id of the message a call produced (None for an edit answered `true`)."""
    if isinstance(result, Message):
        return result.message_id
    if isinstance(result, dict) and isinstance(result.get("message_id"), int):
        return int(result["message_id"])
    return None


class Sender:
    """Sends outbox rows for one bot; returns the message id Telegram gave."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._urls: dict[str, str] = {}
        self._timeout = ClientTimeout()
        self._no_defaults = DefaultBotProperties()

    def direct(self) -> AiohttpSession | None:
        """The bot's session if rows may skip aiogram's method objects, else None."""
        session = self.bot.session
        if type(session) is not AiohttpSession or len(session.middleware):
            return None
        if self.bot.default != self._no_defaults:
            return None  # aiogram would fill these in; only its path knows how
        return session

    async def __call__(self, chat_id: int, method: str, payload: dict[str, Any]) -> int | None:
        """Make the call a row stands for; raise aiogram's exception if Telegram refuses."""
        session = self.direct()
        if session is None:
            return message_id(await self.bot(build_method(chat_id, method, payload)))
        body = BytesPayload(
            _encode(api_params(chat_id, method, payload)).encode(),
            content_type="application/json",
        )
        url = self._urls.get(method)
        if url is None:
            url = self._urls[method] = session.api.api_url(token=self.bot.token, method=method)
        if self._timeout.total != session.timeout:
            self._timeout = ClientTimeout(total=session.timeout)
        client = await session.create_session()
        try:
            async with client.post(url, data=body, timeout=self._timeout) as resp:
                status, raw = resp.status, await resp.read()
        except TimeoutError as exc:
            raise TelegramNetworkError(
                self._method(chat_id, method, payload), "Request timeout error"
            ) from exc
        except ClientError as exc:
            raise TelegramNetworkError(
                self._method(chat_id, method, payload), f"{type(exc).__name__}: {exc}"
            ) from exc
        answer: Any = None
        if status == 200:
            try:
                answer = json.loads(raw)
            except ValueError:
                answer = None
        if isinstance(answer, dict) and answer.get("ok") is True and "result" in answer:
            return message_id(answer["result"])
        # Anything else is read by aiogram, which raises what its own path would raise.
        text = raw.decode("utf-8", errors="replace")
        checked = session.check_response(
            self.bot, self._method(chat_id, method, payload), status, text
        )
        return message_id(checked.result)

    @staticmethod
    def _method(chat_id: int, method: str, payload: dict[str, Any]) -> TelegramMethod[Any]:
        """The aiogram method a row stands for, for aiogram's errors to name."""
        try:
            return build_method(chat_id, method, payload)
        except Exception:  # a row aiogram cannot build still had its answer from Telegram
            return SendMessage.model_construct(chat_id=chat_id, text="")
