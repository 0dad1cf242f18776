"""Fill the English catalogue: English is the source language, so msgstr = msgid."""

from __future__ import annotations

import sys

from babel.messages.pofile import read_po, write_po


def main(path: str) -> None:
    """Copy every msgid into an empty msgstr."""
    with open(path, "rb") as fh:
        catalog = read_po(fh, locale="en")
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            if not any(message.string or ()):
                message.string = tuple(message.id)
        elif not message.string:
            message.string = message.id
    with open(path, "wb") as fh:
        write_po(fh, catalog, omit_header=False, width=100)


if __name__ == "__main__":
    main(sys.argv[1])
