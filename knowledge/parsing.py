"""Turning uploaded files into plain text: text, Markdown, HTML, PDF.

Files are read in a worker, in a child process with limits (knowledge.extraction): a small
hostile file can take a long time or much memory (a 307 KB PDF of 2,000 pages sharing one
content stream held a thread for 165 s). The limits on pages, characters and time are
checked here as extraction goes, so a big file stops early with a message saying which
limit it passed; the child process's own limits on CPU time and memory stop the rest.
"""

from __future__ import annotations

import io
import re
import time
from dataclasses import dataclass
from html.parser import HTMLParser

TEXT_SUFFIXES = (".txt", ".text", ".md", ".markdown", ".rst", ".csv", ".json", ".log")
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
MAX_TEXT_CHARS = 5_000_000


class DocumentProblem(ValueError):
    """A file we cannot (or will not) read; the message says why, for the person who sent it."""


@dataclass(frozen=True)
class Limits:
    max_pages: int = 1000
    max_chars: int = MAX_TEXT_CHARS
    seconds: float = 60.0


def file_kind(name: str, content_type: str, head: bytes) -> str:
    """"pdf", "html" or "text", from the name, the declared type and the first bytes;
    DocumentProblem for anything else."""
    lowered = name.lower()
    kind = (content_type or "").split(";")[0].strip().lower()
    if lowered.endswith(".pdf") or kind == "application/pdf" or head[:5] == b"%PDF-":
        return "pdf"
    if lowered.endswith(HTML_SUFFIXES) or kind in ("text/html", "application/xhtml+xml"):
        return "html"
    if (
        lowered.endswith(TEXT_SUFFIXES)
        or kind.startswith("text/")
        or kind in ("", "application/octet-stream", "application/json")
    ):
        return "text"
    raise DocumentProblem(
        f"unsupported file type {kind or name!r}; send text, Markdown, HTML or PDF"
    )


def to_text(name: str, content_type: str, data: bytes, limits: Limits = Limits()) -> str:
    """The document's text; DocumentProblem for files we cannot read."""
    deadline = time.monotonic() + limits.seconds
    kind = file_kind(name, content_type, data[:8])
    if kind == "pdf":
        text = pdf_text(data, limits, deadline)
    elif kind == "html":
        text = html_text(decode(data))
    else:
        text = decode(data)
        if "\x00" in text:
            raise DocumentProblem("this looks like a binary file; send text, Markdown, HTML or PDF")
    return check_text(text, limits.max_chars)


def check_text(text: str, max_chars: int = MAX_TEXT_CHARS) -> str:
    text = text.strip()
    if not text:
        raise DocumentProblem("the document has no text")
    if len(text) > max_chars:
        raise DocumentProblem(f"the document has more than {max_chars} characters of text")
    return text


def decode(data: bytes) -> str:
    encodings = ["utf-16"] if data[:2] in (b"\xff\xfe", b"\xfe\xff") else []
    for encoding in [*encodings, "utf-8-sig"]:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")  # never fails: old single-byte files read as Latin-1


def pdf_text(data: bytes, limits: Limits = Limits(), deadline: float | None = None) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    deadline = deadline if deadline is not None else time.monotonic() + limits.seconds
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise DocumentProblem("the PDF is encrypted")
        count = len(reader.pages)
        if count > limits.max_pages:
            raise DocumentProblem(f"the PDF has {count} pages; the limit is {limits.max_pages}")
        pages: list[str] = []
        total = 0
        for number, page in enumerate(reader.pages, start=1):
            if time.monotonic() > deadline:
                raise DocumentProblem(
                    f"reading the PDF took longer than {limits.seconds:g} s (stopped at page "
                    f"{number} of {count})"
                )
            text = (page.extract_text() or "").strip()
            total += len(text)
            if total > limits.max_chars:
                raise DocumentProblem(
                    f"the document has more than {limits.max_chars} characters of text "
                    f"(by page {number})"
                )
            if text:
                pages.append(text)
    except DocumentProblem:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
        raise DocumentProblem(f"cannot read this PDF: {exc}") from None
    return "\n\n".join(pages)


BLOCK_TAGS = {
    "p", "div", "section", "article", "header", "footer", "main", "aside", "nav", "li", "ul",
    "ol", "table", "tr", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote",
    "dd", "dt", "dl", "figure", "figcaption", "title",
}
SKIPPED_TAGS = {"script", "style", "noscript", "template", "svg", "head"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in SKIPPED_TAGS and tag != "head":
            self.skipping += 1
        elif tag in BLOCK_TAGS:
            self.parts.append("\n\n" if tag.startswith("h") or tag == "p" else "\n")
            if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
                self.parts.append("#" * int(tag[1]) + " ")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED_TAGS and tag != "head":
            self.skipping = max(0, self.skipping - 1)
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_text(html: str) -> str:
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    text = "".join(extractor.parts)
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
