"""Splitting a document into passages a search can return and a model can read.

Paragraphs are packed into chunks of up to CHUNK_CHARS; a heading starts a new chunk (so a
help page's sections stay apart), and a paragraph longer than a chunk is cut at sentence,
then word, boundaries.
"""

from __future__ import annotations

import re

CHUNK_CHARS = 1200
MIN_CHUNK_CHARS = 200
_HEADING = re.compile(r"^#{1,6}\s")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def split_text(text: str, size: int = CHUNK_CHARS) -> list[str]:
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if p.strip()]
    chunks: list[str] = []
    current = ""
    for paragraph in paragraphs:
        if current and _HEADING.match(paragraph) and len(current) >= MIN_CHUNK_CHARS:
            chunks.append(current)
            current = ""
        # A heading alone sticks to the text under it: the first piece leaves room for it.
        heading_only = bool(current) and "\n\n" not in current and bool(_HEADING.match(current))
        if current and not heading_only and len(current) + 2 + len(paragraph) > size:
            chunks.append(current)
            current = ""
        first = size - len(current) - 2 if heading_only and len(current) < size // 4 else size
        for piece in _pieces(paragraph, size, first):
            if current and len(current) + 2 + len(piece) > size:
                chunks.append(current)
                current = ""
            current = f"{current}\n\n{piece}" if current else piece
    if current:
        chunks.append(current)
    return chunks


def _pieces(paragraph: str, size: int, first: int) -> list[str]:
    if len(paragraph) <= first:
        return [paragraph]
    pieces: list[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(paragraph):
        for part in _words(sentence, size):
            limit = first if not pieces else size
            if current and len(current) + 1 + len(part) > limit:
                pieces.append(current)
                current = ""
            current = f"{current} {part}" if current else part
    if current:
        pieces.append(current)
    return pieces


def _words(sentence: str, size: int) -> list[str]:
    if len(sentence) <= size:
        return [sentence]
    parts: list[str] = []
    current = ""
    for word in sentence.split():
        while len(word) > size:  # one enormous "word" (a URL, base64): hard cut
            parts.append(word[:size])
            word = word[size:]
        if current and len(current) + 1 + len(word) > size:
            parts.append(current)
            current = ""
        current = f"{current} {word}" if current else word
    if current:
        parts.append(current)
    return parts
