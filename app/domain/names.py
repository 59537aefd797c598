"""Name keys for searching: accent-, case- and punctuation-insensitive."""

from __future__ import annotations

import unicodedata

# Letters that do not decompose under NFKD but that callers spell without the mark.
_FOLD = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d", "ı": "i"})


def name_key(text: str) -> str:
    """The search key of a name: ``"José O'Brien-Núñez"`` -> ``"joseobriennunez"``.

    Lower-case ASCII letters and digits only, so that a btree index orders keys the
    same way on every engine and "José" matches "jose".
    """
    # Compatibility forms (e.g. "🄰", "ﬁ") decompose to letters of either case: fold after.
    decomposed = unicodedata.normalize("NFKD", text).casefold().translate(_FOLD)
    folded = unicodedata.normalize("NFKD", decomposed)
    return "".join(ch for ch in folded if ch.isascii() and ch.isalnum()).lower()


def prefix_upper_bound(prefix: str) -> str:
    """The smallest key greater than every key that starts with ``prefix``.

    Keys are ``[a-z0-9]`` so bumping the last character is always possible; this turns
    a prefix match into an index range ``prefix <= key < bound`` on every engine.
    """
    if not prefix:
        raise ValueError("empty prefix")
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)
