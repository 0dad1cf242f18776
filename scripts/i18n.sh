#!/usr/bin/env bash
# Re-extract messages from bot/, merge them into the ru/en catalogues and compile the .mo files.
# English is the source language: the en catalogue is filled with msgid = msgstr.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
"$PY" -m babel.messages.frontend extract -k _ -k __ -k ngettext:1,2 -k lazy_gettext \
  --no-location --sort-output --omit-header -o locales/messages.pot bot >/dev/null
for lang in ru en; do
  po=locales/$lang/LC_MESSAGES/messages.po
  if [ -f "$po" ]; then
    "$PY" -m babel.messages.frontend update -i locales/messages.pot -d locales -D messages -l "$lang" \
      --no-fuzzy-matching --ignore-obsolete >/dev/null
  else
    "$PY" -m babel.messages.frontend init -i locales/messages.pot -d locales -D messages -l "$lang" >/dev/null
  fi
done
"$PY" scripts/fill_en.py locales/en/LC_MESSAGES/messages.po
"$PY" -m babel.messages.frontend compile -d locales -D messages --statistics
