"""Split the free text of a /lead command or a forwarded client message into name, contacts, note.

The text is usually comma/semicolon/newline separated ("Иван Петров, +7 999 123-45-67, заявка с
сайта"), but contacts may sit anywhere, also in the middle of a phrase ("Мария ivanova@mail.ru
хочет лендинг").  The parser therefore works in two passes:

1. contacts are found in the whole text (emails, links, @usernames, phones — in that order, so
   a phone-looking path inside a link or an @ inside an email is never read twice) and replaced
   by a placeholder;
2. the remaining text is cut into fragments at separators ("," ";" newline "|", a spaced dash,
   a sentence end) and at the placeholders.  The first fragment with real words is the name; all
   later fragments, in order and with their separators, are the note.  A name always has a
   letter and is no contact: when the first fragment has none ("🦄🦄🦄", "12345", "@uni"), the
   name is "" (never None), the fragment goes to the note, and the caller asks for a name.

Work is linear in the text: phones are checked within a fixed budget (bot.parsing.phones), and
stray brackets/quotes are stripped run by run; a 4 KB text takes 1–3 ms (bench/parse.py).

Normalisation of contacts:
* phone: E.164 ("+79991234567"), read and validated by `phonenumbers` in the manager's region
  (`region`, default RU) — see bot.parsing.phones for what is kept by hand on top of the library.
  A budget, a year, an INN, a card number or a foreign number without "+" is not a phone and stays
  in the note;
* email: lowercased;
* username: "@name" as typed (Telegram usernames are case-insensitive, case is kept for
  display; duplicates are detected case-insensitively);
* link: as given, minus trailing punctuation.  t.me/name and telegram.me/name (with or without
  https://) become the username @name, because that is what a manager means by it; t.me/+79…
  becomes that phone; other t.me links (invites, posts, joinchat) stay links.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.parsing.phones import DEFAULT_REGION, find_phones, normalize_phone

MAX_NAME_LEN = 200
# A first fragment longer than this is a sentence from a forwarded message, not a name.
_MAX_NAME_WORDS = 7
_PLACEHOLDER = "\x00"


@dataclass(frozen=True)
class Contact:
    """One contact found in the text; value is normalized (see the module docstring)."""

    kind: str  # "phone" | "email" | "username" | "link"
    value: str


@dataclass(frozen=True)
class LeadText:
    """The parts of a lead text: name, contacts in text order, note ("" if none).

    name is "" (never None) when the text has none the caller could use: no name at all, or a
    first part without a letter ("🦄🦄🦄", "12345", "!!!") or made of contact-like words ("@uni");
    the caller then asks for a name. A non-empty name always has a letter.
    """

    name: str
    contacts: tuple[Contact, ...]
    note: str


# ---------------------------------------------------------------------------------------------
# contacts

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[^\W_](?:[\w-]*[^\W_])?(?:\.[\w-]+)*\.[^\W\d_]{2,}\b")
# Stop characters for links: whitespace, angle brackets and quotes that commonly wrap them.
_LINK_BODY = r"[^\s<>\"«»“”]"
_URL = re.compile(rf"(?:https?://|(?<![\w.@/])www\.){_LINK_BODY}+", re.IGNORECASE)
_TME = re.compile(rf"(?<![\w.@/])(?:t|telegram)\.me/{_LINK_BODY}+", re.IGNORECASE)
# Bare domains only with a known TLD: "site.ru" is a link, "Mr.Smith" or "т.е." are not.
_TLDS = (
    "ru|su|рф|com|net|org|info|biz|pro|io|co|me|app|dev|ai|tech|online|site|shop|store|xyz|"
    "agency|studio|digital|team|space|club|by|kz|ua|uz|am|ge|de|uk|us|eu|fr|es|it|nl|pl|cz|tv"
)
_DOMAIN = re.compile(
    rf"(?<![\w@./-])(?:[^\W_]+(?:-[^\W_]+)*\.)+(?:{_TLDS})(?![\w-])(?:/{_LINK_BODY}*)?",
    re.IGNORECASE,
)
_USERNAME = re.compile(r"(?<![\w@.])@([A-Za-z0-9_]{5,32})(?!\w)")
_TME_USER = re.compile(
    r"(?:https?://)?(?:www\.)?(?:t|telegram)\.me/@?([A-Za-z0-9_]{5,32})/?", re.IGNORECASE
)
_TME_PHONE = re.compile(r"(?:https?://)?(?:t|telegram)\.me/(\+[0-9]{10,15})/?", re.IGNORECASE)
# t.me paths that are Telegram features, not usernames.
_TME_RESERVED = frozenset(
    "joinchat addstickers addemoji addtheme addlist share proxy socks login setlanguage invoice "
    "boost contact".split()
)
_URL_TRAILING = ".,;:!?…'\"»”’"


def _trim_link(text: str, start: int, end: int) -> int:
    """End of a link without trailing punctuation (keeps a ")" that closes a "(" inside)."""
    while end > start:
        last = text[end - 1]
        if last in _URL_TRAILING:
            end -= 1
        elif last == ")" and text.count("(", start, end) < text.count(")", start, end):
            end -= 1
        else:
            break
    return end


def _link_contact(value: str, region: str) -> Contact:
    """Classify a link: t.me/name is a username, t.me/+phone a phone, the rest a link."""
    user = _TME_USER.fullmatch(value)
    if user and user.group(1).lower() not in _TME_RESERVED:
        return Contact("username", "@" + user.group(1))
    phone = _TME_PHONE.fullmatch(value)
    if phone and (normalized := normalize_phone(phone.group(1), region)):
        return Contact("phone", normalized)
    return Contact("link", value)


def _find_contacts(text: str, region: str) -> list[tuple[int, int, Contact]]:
    """All contacts with their spans, in text order; earlier kinds win overlapping text."""
    found: list[tuple[int, int, Contact]] = []

    def free(start: int, end: int) -> bool:
        """Whether [start, end) overlaps no contact found so far."""
        return all(end <= s or start >= e for s, e, _ in found)

    for match in _EMAIL.finditer(text):
        found.append((match.start(), match.end(), Contact("email", match.group().lower())))
    for pattern in (_URL, _TME, _DOMAIN):
        for match in pattern.finditer(text):
            start, end = match.start(), _trim_link(text, match.start(), match.end())
            if end > start and free(start, end):
                found.append((start, end, _link_contact(text[start:end], region)))
    for match in _USERNAME.finditer(text):
        if free(match.start(), match.end()):
            found.append((match.start(), match.end(), Contact("username", "@" + match.group(1))))
    for start, end, value in find_phones(text, region):
        if free(start, end):
            found.append((start, end, Contact("phone", value)))
    found.sort(key=lambda item: item[0])
    return found


# ---------------------------------------------------------------------------------------------
# name and note

# Separators between parts: , ; newline |, a dash with spaces around it ("Иван — заявка", not
# "Ростов-на-Дону"), an en/em dash anywhere, and a sentence end after a word of 3+ letters (so
# initials "Иванов И. И." and abbreviations "см. сайт" do not split).
_SEPARATOR = re.compile(r"\s*[,;|\n\r]\s*|\s+-+\s+|\s*[–—]+\s*|(?<=[^\W\d_]{3})[.!?…]+\s+(?=\S)")
# Words that only label a contact ("тел.", "e-mail:") or glue two of them ("или"); a fragment
# made of nothing else carries no information once the contact is taken out.  Qualifiers such
# as "whatsapp" also follow a contact ("+7 … (whatsapp)"); words like "сайт" only label one when
# they come before it — after a contact, "сайт" is what the lead wants.
_QUALIFIERS = frozenset(
    (
        "тел телефон тлф моб мобильный сотовый рабочий личный phone tel mob mobile cell work "
        "email e-mail mail почта емейл имейл мейл tg тг telegram телеграм телеграмм телега "
        "whatsapp ватсап вотсап wa viber вайбер instagram инстаграм инст vk вк"
    ).split()
)
_LABELS = _QUALIFIERS | frozenset(
    (
        "номер number эл электронная электронной адрес сайт site web website url ссылка link "
        "контакт контакты contact contacts ник username юзернейм"
    ).split()
)
_FILLERS = frozenset(
    "см see или и or and мой моя мои наш наша my our his her его ее её доп".split()
)
_GREETING = re.compile(
    r"(?:здравствуйте|здравствуй|добрый\s+(?:день|вечер)|доброе\s+утро|доброго\s+(?:дня|вечера"
    r"|времени(?:\s+суток)?)|привет(?:ствую)?|hello|hi|hey|good\s+(?:morning|afternoon|evening|"
    r"day))(?![\w-])[\s!.,]*",
    re.IGNORECASE,
)
_INTRO = re.compile(r"(?:меня\s+зовут|my\s+name\s+is)\s+", re.IGNORECASE)
# Words that are (broken) contacts rather than a name: "@uni" (too short for a username),
# "ivan@mail" (no domain), links and schemes.
_CONTACT_LIKE = re.compile(r"@|://|^(?:www\.|(?:t|telegram)\.me/)", re.IGNORECASE)
# Quote and bracket pairs for tidying names; „“ is the Russian inner pair.
_OPENERS = {"«": "»", "“": "”", "„": "“", "‹": "›", "‘": "’", "(": ")", "[": "]", "{": "}"}
_CLOSERS = frozenset(_OPENERS.values())
_SYMMETRIC = frozenset("\"'")
_EDGE_PUNCT = " \t,;:!?-–—•*·/\\|"
# A note keeps its final "." "!" "?" ("Срочно!"), unlike a name.
_NOTE_TRAILING = " \t,;:-–—•*·/\\|"


@dataclass
class _Fragment:
    """A piece of text between separators/contacts, with the separator that preceded it."""

    separator: str
    text: str
    before_contact: bool  # a contact follows it directly
    after_contact: bool  # it follows a contact directly


def _is_label(word: str, *, before: bool) -> bool:
    """Whether a word only labels or joins contacts ("тел.", "E-mail:", "или")."""
    key = word.strip(".,:;!?()[]«»\"'").casefold()
    return key in _FILLERS or key in (_LABELS if before else _QUALIFIERS)


def _strip_labels(fragment: _Fragment) -> str:
    """Drop contact labels next to a contact; "" if nothing but labels is left there."""
    words = fragment.text.split()
    if fragment.before_contact:
        while words and _is_label(words[-1], before=True):
            words.pop()
        if not words:
            return ""
    if fragment.after_contact and all(_is_label(word, before=False) for word in words):
        return ""
    return " ".join(words)


def _stray_at_start(text: str) -> int:
    """How many quotes/brackets at the start have no partner in the text (0 if none)."""
    char = text[0]
    run = len(text) - len(text.lstrip(char))
    # Whole runs at once: "((((…" must not cost a pass over the text per bracket.
    if char in _SYMMETRIC:
        return text.count(char) % 2
    if char in _OPENERS:
        return max(0, min(run, text.count(char) - text.count(_OPENERS[char])))
    return run if char in _CLOSERS else 0  # a closing mark cannot start a name


def _stray_at_end(text: str) -> int:
    """How many quotes/brackets at the end have no partner in the text (0 if none)."""
    char = text[-1]
    run = len(text) - len(text.rstrip(char))
    if char in _SYMMETRIC:
        return text.count(char) % 2
    if char in _CLOSERS:
        openers = sum(text.count(o) for o, c in _OPENERS.items() if c == char)
        return max(0, min(run, text.count(char) - openers))
    return run if char in _OPENERS else 0  # an opening mark cannot end a name


def _unwrap(text: str) -> str:
    """Strip edge punctuation, wrapping quotes/brackets and unpaired edge quotes/brackets."""
    previous = None
    while text and text != previous:
        previous = text
        text = text.strip(_EDGE_PUNCT)
        if len(text) < 2:
            break
        first, last = text[0], text[-1]
        partner = first if first in _SYMMETRIC else _OPENERS.get(first)
        if partner == last and first not in text[1:-1] and last not in text[1:-1]:
            text = text[1:-1]  # «Ромашка» -> Ромашка, but ООО «Ромашка» stays as it is
            continue
        text = text[_stray_at_start(text) :]
        if text:
            text = text[: len(text) - _stray_at_end(text)]
    return text


def _clean_name(text: str) -> str:
    """Tidy a name: spaces, edge punctuation, wrapping quotes, a sentence dot, length."""
    text = _unwrap(" ".join(text.split()))
    if text.endswith(".") and not text.endswith(".."):
        last = text[:-1].split()[-1] if text[:-1].split() else ""
        # A sentence dot goes ("Acme Corp." -> "Acme Corp"), initials keep theirs ("Иванов И.И.").
        if not ("." in last or len(last) == 1):
            text = _unwrap(text[:-1])
    if len(text) > MAX_NAME_LEN:
        cut = text[: MAX_NAME_LEN + 1]
        space = cut.rfind(" ")
        text = _unwrap(cut[:space] if space > MAX_NAME_LEN // 2 else text[:MAX_NAME_LEN])
        text = text[:MAX_NAME_LEN]
    return text


def _clean_note(text: str) -> str:
    """Tidy a note fragment: spaces and dangling punctuation at the edges, keep . ! ? at end."""
    text = " ".join(text.split())
    previous = None
    while text and text != previous:
        previous = text
        text = text.lstrip(_EDGE_PUNCT + ".").rstrip(_NOTE_TRAILING)
        # The halves of "(+7 …)" around a removed contact leave a lone bracket behind.
        if text:
            text = text[_stray_at_start(text) :]
        if text:
            text = text[: len(text) - _stray_at_end(text)]
    return text


def _fragments(masked: str) -> list[_Fragment]:
    """Cut the contact-masked text into fragments at separators and contact placeholders."""
    pieces = _SEPARATOR.split(masked)
    separators = [m.group() for m in _SEPARATOR.finditer(masked)]
    fragments: list[_Fragment] = []
    for index, piece in enumerate(pieces):
        segments = piece.split(_PLACEHOLDER)
        # "тел. +7…": the sentence-end rule splits after "тел", so a contact that opens the next
        # piece still counts as directly after this one (and vice versa).
        next_starts = index + 1 < len(pieces) and pieces[index + 1].lstrip().startswith(
            _PLACEHOLDER
        )
        prev_ends = index > 0 and pieces[index - 1].rstrip().endswith(_PLACEHOLDER)
        for position, segment in enumerate(segments):
            is_last = position == len(segments) - 1
            fragments.append(
                _Fragment(
                    separator=(separators[index - 1] if index else "") if position == 0 else " ",
                    text=segment,
                    before_contact=not is_last or next_starts,
                    after_contact=position > 0 or prev_ends,
                )
            )
    return fragments


def _strength(separator: str) -> int:
    """How strongly a separator divides text; the strongest one crossed joins note pieces."""
    mark = separator.strip(" \t")
    if not mark:
        return 0 if separator else -1
    if "\n" in mark or "\r" in mark:
        return 5
    if mark[0] in ".!?…":
        return 4
    if mark[0] == ";":
        return 3
    if mark[0] in ",-–—":
        return 2
    return 1  # "|"


def _joiner(separator: str) -> str:
    """How a separator is written back between note pieces."""
    mark = separator.strip(" \t")
    if not mark:
        return " "
    if "\n" in mark or "\r" in mark:
        return "\n"
    if mark[0] in "-–—":
        return " — "
    if mark[0] == "|":
        return ", "
    return mark + " "


def _note_text(fragment: _Fragment) -> str:
    """What a fragment adds to the note: "" for greetings, labels and bare punctuation."""
    text = _strip_labels(fragment)
    if _GREETING.fullmatch(text.strip()):
        return ""
    text = _clean_note(text)
    return text if any(char.isalnum() for char in text) else ""


def _split_name(fragments: list[_Fragment]) -> tuple[str, int, str]:
    """(name, index of the name fragment or -1, what that fragment leaves for the note)."""
    # "Меня зовут Анна" anywhere wins: a forwarded message rarely starts with the name.
    for index, fragment in enumerate(fragments):
        intro = _INTRO.search(fragment.text)
        if intro:
            words = fragment.text[intro.end() :].split()
            # The capitalised words after the phrase are the name ("Анна Петрова и я ...").
            taken = 0
            while taken < min(3, len(words)) and words[taken][:1].isupper():
                taken += 1
            taken = taken or 1
            before = _Fragment(fragment.separator, fragment.text[: intro.start()], False, False)
            name = _usable_name(_clean_name(" ".join(words[:taken])))
            if not name:
                return "", -1, ""  # «меня зовут 🦄»: no usable name, the text is the note
            rest = " ".join([_note_text(before), *words[taken:]])
            return name, index, rest
    for index, fragment in enumerate(fragments):
        text = _strip_labels(fragment)
        if not any(char.isalnum() for char in text):
            continue  # empty or a bare contact label
        if _GREETING.match(text.strip()):
            # A letter ("Здравствуйте, Иван! Хотим сайт"): the name after the greeting is the
            # manager's, the lead's own name only comes from "меня зовут …".
            return "", -1, ""
        if len(text.split()) > _MAX_NAME_WORDS:
            return "", -1, ""  # a sentence from a message: no name, all of it is the note
        name = _usable_name(_clean_name(text))
        # "12345", "²²", "@uni", "ivan@mail": no name; the words stay in the note, and the
        # caller asks for a name.
        return (name, index, "") if name else ("", -1, "")
    return "", -1, ""


def _usable_name(name: str) -> str:
    """The name, or "" when it has no letter outside contact-like words ("@uni", "a@b")."""
    return name if any(_has_letter(w) for w in name.split() if not _CONTACT_LIKE.search(w)) else ""


def _has_letter(word: str) -> bool:
    """Whether a word has a letter (emoji, digits and punctuation are not letters)."""
    return any(char.isalpha() for char in word)


def parse_lead_text(text: str, region: str = DEFAULT_REGION) -> LeadText:
    """Split lead text into name, normalized contacts (in text order) and the note; phones
    without "+" are read in region (the manager's country)."""
    if not text or not text.strip():
        return LeadText("", (), "")
    text = text.replace(_PLACEHOLDER, " ")

    contacts: list[Contact] = []
    seen: set[tuple[str, str]] = set()
    masked: list[str] = []
    cursor = 0
    for start, end, contact in _find_contacts(text, region):
        masked += [text[cursor:start], _PLACEHOLDER]
        cursor = end
        key = (contact.kind, contact.value.casefold())
        if key not in seen:  # the same phone written twice is one contact
            seen.add(key)
            contacts.append(contact)
    masked.append(text[cursor:])
    fragments = _fragments("".join(masked))

    name, name_index, name_rest = _split_name(fragments)
    note: list[str] = []
    crossed = ""  # strongest separator since the last piece put into the note
    for index, fragment in enumerate(fragments):
        if _strength(fragment.separator) > _strength(crossed):
            crossed = fragment.separator
        body = _clean_note(name_rest) if index == name_index else _note_text(fragment)
        if not body:
            continue
        if note:
            note.append(_joiner(crossed))
        note.append(body)
        crossed = ""
    return LeadText(name, tuple(contacts), "".join(note))
