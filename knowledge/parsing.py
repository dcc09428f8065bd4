"""Turning uploaded files into plain text: text, Markdown, HTML, PDF."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

from rest_framework.exceptions import ValidationError

TEXT_SUFFIXES = (".txt", ".text", ".md", ".markdown", ".rst", ".csv", ".json", ".log")
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
MAX_TEXT_CHARS = 5_000_000


def to_text(name: str, content_type: str, data: bytes) -> str:
    """The document's text; ValidationError (400) for files we cannot read."""
    lowered = name.lower()
    kind = (content_type or "").split(";")[0].strip().lower()
    if lowered.endswith(".pdf") or kind == "application/pdf" or data[:5] == b"%PDF-":
        text = pdf_text(data)
    elif lowered.endswith(HTML_SUFFIXES) or kind in ("text/html", "application/xhtml+xml"):
        text = html_text(decode(data))
    elif lowered.endswith(TEXT_SUFFIXES) or kind.startswith("text/") or kind in ("", "application/octet-stream", "application/json"):
        text = decode(data)
        if "\x00" in text:
            raise ValidationError({"file": "this looks like a binary file; send text, Markdown, HTML or PDF"})
    else:
        raise ValidationError({"file": f"unsupported file type {kind or name!r}; send text, Markdown, HTML or PDF"})
    text = text.strip()
    if not text:
        raise ValidationError({"file": "the document has no text"})
    if len(text) > MAX_TEXT_CHARS:
        raise ValidationError({"file": f"the document has more than {MAX_TEXT_CHARS} characters of text"})
    return text


def decode(data: bytes) -> str:
    encodings = ["utf-16"] if data[:2] in (b"\xff\xfe", b"\xfe\xff") else []
    for encoding in [*encodings, "utf-8-sig"]:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")  # never fails: old single-byte files read as Latin-1


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ValidationError({"file": "the PDF is encrypted"})
        pages = [page.extract_text() or "" for page in reader.pages]
    except ValidationError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise ValidationError({"file": f"cannot read this PDF: {exc}"}) from None
    return "\n\n".join(page.strip() for page in pages if page.strip())


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
