"""Telling a closing pleasantry («спасибо!», "ok, thanks 👍") from a message that wants an answer.

A client's «спасибо» after the work is delivered must not start the "we owe a reply" clock.
is_pleasantry says True only when the whole message is made of known thanks, acknowledgements,
goodbyes and their intensifiers («большое», "a lot"), joined by punctuation, whitespace and
friendly emoji; one unknown word, a digit, a "?" or an unlisted symbol makes it False. Being wrong
in that direction costs a needless reminder; the other way it would lose a request.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# A closing pleasantry is short; a longer message almost always carries something else.
MAX_LENGTH = 60

# Phrases that close a conversation on their own. Words are written as typed; they are compared
# after the same normalisation as the message (lower case, ё=е, repeated letters squeezed).
_CORE = (
    # Russian thanks
    "спасибо", "спасиб", "спс", "спасибки", "спасибочки", "пасиб", "пасибо", "сенкс", "сенкью",
    "благодарю", "благодарим", "благодарствую", "спасибо за ответ", "спасибо за помощь",
    "спасибо за информацию", "спасибо за инфо", "спасибо за оперативность",
    # Russian acknowledgements
    "ок", "окей", "оки", "океюшки", "хорошо", "хор", "ладно", "лады", "понял", "поняла",
    "поняли", "понятно", "ясно", "принято", "принял", "приняла", "приняли", "договорились",
    "отлично", "супер", "класс", "прекрасно", "замечательно", "здорово", "круто", "чудесно",
    "годится", "подходит", "согласен", "согласна", "все понятно", "все ясно", "все отлично",
    "все хорошо", "все ок", "все супер", "все принято",
    # Russian goodbyes
    "до свидания", "до связи", "до встречи", "до завтра", "пока", "всего доброго",
    "всего хорошего", "хорошего дня", "хорошего вечера", "хороших выходных", "отличного дня",
    "доброго дня", "удачи", "на связи",
    # English thanks
    "thanks", "thank you", "thank u", "thanku", "thankyou", "thx", "thnx", "tnx", "ty", "tysm",
    "thanks for the update", "thanks for your help", "thanks for the info", "many thanks",
    "much appreciated", "appreciated", "appreciate it", "cheers", "ta",
    # English acknowledgements
    "ok", "okay", "okey", "oki", "great", "good", "all good", "very good", "got it", "noted",
    "understood", "perfect", "sounds good", "sounds great", "sounds perfect", "nice", "cool",
    "awesome", "excellent", "fine", "alright", "all right", "wonderful", "fantastic", "lovely",
    "brilliant", "will do", "no problem", "np", "agreed", "roger", "roger that",
    # English goodbyes
    "bye", "bye bye", "goodbye", "see you", "talk soon", "take care", "have a nice day",
    "have a good day", "have a great day", "have a nice weekend", "have a good weekend",
    "have a great weekend", "have a good one",
)  # fmt: skip
# Words that only strengthen or address a pleasantry («большое», "a lot", «вам»): allowed around
# one, never a pleasantry alone, so «вам» or "very" by itself stays an ordinary message.
_FILLERS = (
    "большое", "огромное", "огромнейшее", "большущее", "очень", "вам", "тебе", "всем", "и",
    "еще раз", "ну", "тогда", "все", "so", "much", "a lot", "very", "very much", "so much",
    "again", "you", "all", "and", "that", "thats", "its", "oh", "then",
)  # fmt: skip
# Request words that must never be read as part of a pleasantry, whatever the lists above say.
_NEVER = frozenset({"когда", "пришлите", "пожалуйста", "when", "send", "please"})

# Emoji that thank, agree or wave; any other symbol may carry meaning (📎, ❗, 😡) and refuses.
_EMOJI = frozenset(
    "👍🙏👌❤😊🙂😀😃😄😁☺😉🤗🥰😍😘🤝✅✔💪🔥👏🙌💯♥💙💚💛🧡💜🤍💖💗💕🌹💐🌷✌🫶🥳🎉⭐🌟👋🤩😇"
)
# Parts of emoji sequences that add nothing: variation selectors, joiner, skin tones, keycap.
_EMOJI_PARTS = frozenset("\ufe0e\ufe0f\u200d\u20e3🏻🏼🏽🏾🏿")

# Words (apostrophes dropped first, so "that's" is one word), separators, or one other character.
_TOKEN = re.compile(
    r"(?P<word>[^\W\d_]+)|(?P<sep>[\s.,!;:…\-–—()«»\"“”„=*~+]+)|(?P<other>.)", re.DOTALL
)
_APOSTROPHES = str.maketrans("", "", "'’`ʼ")
_REPEATS = re.compile(r"(.)\1+")
_EMOJI_TOKEN = "\x00emoji"  # a token no word can equal


def _squeeze(word: str) -> str:
    """A word with runs of one letter cut to one: «спасибооо» and "thanksss" meet their forms."""
    # Applied to the lists too, so "cheers" and "good" still match their own spelling.
    return _REPEATS.sub(r"\1", word)


def _normalise(text: str) -> str:
    """Compose, lower-case and fold ё into е, as the phrase lists are read."""
    return unicodedata.normalize("NFC", text).casefold().replace("ё", "е")


@lru_cache(maxsize=1)
def _phrases() -> tuple[dict[tuple[str, ...], bool], int]:
    """Each known phrase as squeezed words, mapped to whether it closes a chat by itself."""
    table: dict[tuple[str, ...], bool] = {}
    for phrases, core in ((_FILLERS, False), (_CORE, True)):
        for phrase in phrases:
            words = tuple(_squeeze(w) for w in _normalise(phrase).split())
            if not set(words) & {_squeeze(w) for w in _NEVER}:
                table[words] = core
    table[(_EMOJI_TOKEN,)] = True
    return table, max(len(words) for words in table)


def _tokens(text: str) -> list[str] | None:
    """The message as squeezed words and emoji markers; None when it holds anything else."""
    tokens: list[str] = []
    for match in _TOKEN.finditer(text.translate(_APOSTROPHES)):
        if match.lastgroup == "word":
            tokens.append(_squeeze(match.group()))
        elif match.lastgroup == "other":
            char = match.group()
            if char in _EMOJI:
                tokens.append(_EMOJI_TOKEN)
            elif char not in _EMOJI_PARTS:
                return None
    return tokens


def _covers(tokens: list[str]) -> bool:
    """Whether the tokens split wholly into known phrases, at least one of them a closing one."""
    table, longest = _phrases()
    # reach[i] is None when tokens[:i] cannot be split, else whether its split has a core phrase.
    reach: list[bool | None] = [None] * (len(tokens) + 1)
    reach[0] = False
    for i in range(len(tokens)):
        if reach[i] is None:
            continue
        for j in range(i + 1, min(len(tokens), i + longest) + 1):
            core = table.get(tuple(tokens[i:j]))
            if core is not None:
                reach[j] = bool(reach[j]) or bool(reach[i]) or core
    return bool(reach[-1])


def is_pleasantry(text: str | None) -> bool:
    """Whether a client's message is only a closing pleasantry that needs no answer."""
    if not text:
        return False  # no text (a photo, a sticker): not a pleasantry, the caller decides
    text = _normalise(text).strip()
    # A question mark means a question, whatever the words around it.
    if not text or len(text) > MAX_LENGTH or "?" in text:
        return False
    tokens = _tokens(text)
    return tokens is not None and _covers(tokens)
