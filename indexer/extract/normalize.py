"""Text clean-up shared by every extractor.

NFKC folds ligatures and compatibility forms ("ﬁ" -> "fi", full-width digits); words hyphenated
across line ends are joined; runs of spaces collapse, line breaks stay and blank lines collapse
to one so snippets keep their paragraphs.
"""

from __future__ import annotations

import re
import unicodedata

# Control characters other than tab and newline (NULs from broken PDFs, form feeds...).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\ufeff]")
# "traf-\nficking" -> "trafficking"; only when a lower-case letter continues the word, so
# "Anti-\nTrafficking" keeps its hyphen.
_HYPHEN_BREAK = re.compile(r"(\w)[-\u00ad\u2010]\n[ \t]*([a-z])")
# "Anti-\nTrafficking" -> "Anti-Trafficking": a real hyphen, only the line break goes.
_HYPHEN_LINE = re.compile(r"(\w)-\n[ \t]*(?=\w)")
_SOFT_HYPHEN = re.compile("\u00ad")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def normalize_text(text: str) -> str:
    """Return `text` NFKC-normalised with hyphenation joined and whitespace collapsed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n")
    # PDFium marks a hyphen it judged to be a line-end break with U+0002; treat it as the
    # soft hyphen it stands for, so the word is joined below.
    text = text.replace("\x02", "\u00ad")
    text = unicodedata.normalize("NFKC", text)
    text = _HYPHEN_BREAK.sub(r"\1\2", text)
    text = _HYPHEN_LINE.sub(r"\1-", text)
    text = _SOFT_HYPHEN.sub("", text)
    text = _CONTROL.sub(" ", text)
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()
