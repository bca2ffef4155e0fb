"""Folding text so that disguised words meet the terms they disguise, and telling where words end.

`fold` is applied to keyword bank terms and to the text they are matched against alike, so both sides
always agree. In order:

1. invisible characters that split a word without showing (zero-width space, joiners, soft hyphen,
   word joiner, byte-order mark) are removed;
2. NFKC, case folding, NFKC again: fullwidth `ＦＲＥＥ`, ligatures, mathematical letters and `ß` become
   plain lower-case letters;
3. look-alikes to Latin: a Cyrillic, Greek, Armenian or Cherokee letter (or a non-ASCII Latin one such as
   `ɑ`) that Unicode's confusables data (UTS #39, as shipped by the `confusable-homoglyphs` package) gives
   as a look-alike of one ASCII letter or digit becomes that character, so Cyrillic `frее` is `free`.
   A lower-case letter with no entry of its own takes its capital's (Cyrillic `к` folds as `К` → `k`);
4. leetspeak: `0`→o, `1`→i, `3`→e, `4`→a, `5`→s, `7`→t, `@`→a, `$`→s and `l`→i; `!` and `|` fold to
   `i` only when a letter or digit follows (`fr!ends`), so the `!` that ends a sentence stays a `!`;
5. runs of whitespace become one space, and the ends are trimmed.

(Text that is not all ASCII is put in NFKC once more after step 4 when a letter it made should compose
with an accent that follows it, so that folding folded text changes nothing.)

Folding removes and replaces characters, so positions in folded text are not positions in the text
as posted: matches report the terms they found, never offsets.

Word boundaries (`continues_word`): a term matches only where it is not part of a longer word, in the
scripts that separate words with spaces (Latin, Cyrillic, Greek, Arabic, Hebrew, Devanagari, …). Han,
Hiragana, Katakana, Thai, Lao, Khmer and Myanmar write words without spaces, so a character of theirs
never continues a word: a Japanese or Chinese term matches anywhere inside a run of such text.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from confusable_homoglyphs import categories, confusables

# Characters that join or split words without showing: removed before anything else.
INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"

LEETSPEAK = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "l": "i"}
# `!` and `|` are punctuation as often as letters: only a run of them followed by a letter or digit folds.
_BAR_OR_BANG_IN_WORD = re.compile(r"[!|]+(?=\w)")

# Scripts whose look-alikes of Latin letters fold to Latin (the confusables data names scripts so).
LOOK_ALIKE_SCRIPTS = frozenset({"CYRILLIC", "GREEK", "LATIN", "ARMENIAN", "CHEROKEE"})

# Scripts written without spaces between words: a match next to their characters needs no boundary.
UNSPACED_SCRIPTS = frozenset({"HAN", "HIRAGANA", "KATAKANA", "THAI", "LAO", "KHMER", "MYANMAR"})
# The kana prolonged sound marks are classed as common to all scripts, but only ever stand in kana words.
_KANA_MARKS = frozenset({"\u30fc", "\uff70"})


def fold(text: str) -> str:
    """`text` as keyword banks see it (see the module's documentation)."""
    if text.isascii():
        folded = text.lower()
    else:
        if _INVISIBLE_CHARACTER.search(text):
            text = text.translate(_DROP_INVISIBLE)
        folded = unicodedata.normalize("NFKC", text)
        folded = unicodedata.normalize("NFKC", folded.casefold())
        if _look_alike_character().search(folded):
            folded = folded.translate(_look_alikes())
    # Leetspeak maps ASCII to ASCII: done on the UTF-8 bytes, one table lookup a byte, which is many times
    # faster than str.translate on text that is not all ASCII (UTF-8 never uses ASCII bytes in a
    # multi-byte character, so only ASCII characters change).
    folded = folded.encode("utf-8", "surrogatepass").translate(_LEET_BYTES).decode("utf-8", "surrogatepass")
    if not folded.isascii() and not unicodedata.is_normalized("NFKC", folded):
        folded = unicodedata.normalize("NFKC", folded)  # `1` + an accent became `i` + an accent: `í`
    if "!" in folded or "|" in folded:
        folded = _BAR_OR_BANG_IN_WORD.sub(lambda run: "i" * len(run.group()), folded)
    return " ".join(folded.split())


def continues_word(character: str) -> bool:
    """Whether `character`, next to a match, makes the match part of a longer word: a letter, digit or
    combining mark of a script that separates its words with spaces."""
    known = _CONTINUES.get(character)
    if known is None:
        known = _continues_word(character)
        _CONTINUES[character] = known
    return known


_CONTINUES: dict[str, bool] = {}


def _continues_word(character: str) -> bool:
    if unicodedata.category(character)[0] not in "LNM" or character in _KANA_MARKS:
        return False
    return categories.alias(character) not in UNSPACED_SCRIPTS


_DROP_INVISIBLE = dict.fromkeys(map(ord, INVISIBLE))
_INVISIBLE_CHARACTER = re.compile(f"[{INVISIBLE}]")
_LEET_BYTES = bytes.maketrans("".join(LEETSPEAK).encode(), "".join(LEETSPEAK.values()).encode())


@cache
def _look_alike_character() -> re.Pattern[str]:
    return re.compile("[" + "".join(re.escape(chr(code)) for code in sorted(_look_alikes())) + "]")


@cache
def _look_alikes() -> dict[int, str]:
    """Code point → the ASCII character it is a look-alike of, from Unicode's confusables data.

    Only letters of `LOOK_ALIKE_SCRIPTS` whose look-alike is one ASCII letter or digit, keyed by their
    case-folded form (the table is applied after case folding); built once, on first use.
    """
    own: dict[str, str] = {}
    for character, entries in confusables.confusables_data.items():
        target = _ascii_look_alike(character, entries)
        if target is not None:
            own[character] = target
    table: dict[int, str] = {}
    for character, target in own.items():
        if character.casefold() == character:
            table[ord(character)] = target
    # A lower-case letter with no look-alike of its own takes its capital's, when that is a letter.
    for character, target in own.items():
        lower = character.casefold()
        if lower != character and target.isalpha() and len(lower) == 1 and not lower.isascii():
            table.setdefault(ord(lower), target)
    return table


def _ascii_look_alike(character: str, entries: list[dict[str, str]]) -> str | None:
    if len(character) != 1 or character.isascii() or not unicodedata.category(character).startswith("L"):
        return None
    if categories.alias(character) not in LOOK_ALIKE_SCRIPTS:
        return None
    for entry in entries:
        glyph = entry["c"]
        if len(glyph) == 1 and glyph.isascii() and glyph.isalnum():
            return glyph.lower()
    return None
