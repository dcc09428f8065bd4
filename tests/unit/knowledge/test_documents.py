"""Reading documents and cutting them into passages; fusing rankings."""

from __future__ import annotations

import pytest

from knowledge.chunking import split_text
from knowledge.parsing import DocumentProblem, html_text, to_text
from knowledge.search import fuse, terms
from tests.pdf import minimal_pdf


def test_headings_start_new_chunks_and_long_text_is_cut_at_sentences():
    text = "# Shipping\n\n" + ("We ship fast. " * 40) + "\n\n# Returns\n\n" + ("Send it back within 30 days. " * 80)
    chunks = split_text(text, size=600)
    assert chunks[0].startswith("# Shipping")
    assert any(c.startswith("# Returns\n\nSend it back") for c in chunks)
    assert all(len(c) <= 600 for c in chunks)
    assert all(c.rstrip().endswith(".") for c in chunks)


def test_a_short_document_is_one_chunk():
    assert split_text("one\n\ntwo") == ["one\n\ntwo"]


def test_html_keeps_the_text_and_drops_scripts():
    html = "<html><head><title>T</title><style>p{}</style></head><body><h1>Help</h1><p>Call us &amp; smile.</p><script>evil()</script></body></html>"
    assert html_text(html) == "T\n\n# Help\n\nCall us & smile."


def test_a_pdfs_text_is_read():
    assert "Refunds take five days" in to_text("help.pdf", "application/pdf", minimal_pdf("Refunds take five days"))


@pytest.mark.parametrize("name, kind, data", [
    ("x.bin", "application/zip", b"PK\x03\x04"),
    ("x.txt", "text/plain", b"a\x00b"),
    ("x.pdf", "application/pdf", b"%PDF-1.4 broken"),
    ("x.txt", "text/plain", b"   "),
])
def test_unreadable_files_are_refused_with_a_reason(name, kind, data):
    with pytest.raises(DocumentProblem):
        to_text(name, kind, data)


def test_reciprocal_rank_fusion_rewards_what_both_lists_found():
    fused = fuse([[(1, 9.0), (2, 8.0), (3, 7.0)], [(3, 0.9), (4, 0.8)]])
    assert [chunk for chunk, _ in fused] == [3, 1, 2, 4]


def test_query_terms_are_words_only():
    assert terms('refund "policy" OR NEAR(x) refund_policy') == ["refund", "policy", "or", "near", "x"]
