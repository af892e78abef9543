"""The card's PNG and PDF (issue 10 §6): Chinese drawn with a real font, the same bytes every
time, and a QR code that decodes back to the verification URL."""

from __future__ import annotations

import io
import re
import time
from dataclasses import replace
from datetime import date

import pytest
import zxingcpp
from PIL import Image, PdfImagePlugin

from renshe.talent import rendering, tokens
from renshe.talent.rendering import CardFace, CardFontMissing, render_pdf, render_png

FACE = CardFace(
    card_no="QD44070320260001230",
    tier="B",
    holder_name="欧阳小明",
    valid_from=date(2026, 12, 6),
    valid_until=date(2029, 12, 5),
    issuer="江门市蓬江区人力资源和社会保障局",
    verify_url="https://rsj.jiangmen.gov.cn/verify/" + "A" * tokens.MAX_TOKEN_CHARS,
)


def test_the_qr_code_decodes_back_to_the_verification_url() -> None:
    picture = Image.open(io.BytesIO(render_png(FACE)))
    assert picture.size == (rendering.WIDTH, rendering.HEIGHT)
    assert [code.text for code in zxingcpp.read_barcodes(picture)] == [FACE.verify_url]


def test_the_longest_url_needs_at_most_a_version_10_qr() -> None:
    assert rendering.qr_version(FACE.verify_url) <= 10


def test_the_same_card_gives_the_same_bytes_and_another_card_other_bytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Renderings a day apart (Pillow's PDF writer reads the clock): still the same bytes.
    days, real_gmtime = iter(range(1, 100)), time.gmtime
    monkeypatch.setattr(PdfImagePlugin.time, "gmtime", lambda *_: real_gmtime(next(days) * 86_400))
    assert render_png(FACE) == render_png(FACE)
    assert render_pdf(FACE) == render_pdf(FACE)
    assert b"CreationDate" not in render_pdf(FACE)
    assert render_png(replace(FACE, valid_until=date(2029, 12, 4))) != render_png(FACE)


def test_chinese_names_are_drawn_not_boxes() -> None:
    """Without CJK glyphs every ideograph is the same missing-glyph box: two names would look alike."""

    def name_area(name: str) -> bytes:
        picture = Image.open(io.BytesIO(render_png(replace(FACE, holder_name=name))))
        return picture.crop((265, 180, 660, 240)).tobytes()

    assert name_area("张三丰") != name_area("李四光")


def test_the_pdf_is_one_page_the_size_of_an_identity_card() -> None:
    pdf = render_pdf(FACE)
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page\r") <= 1
    box = re.search(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert box is not None
    width_mm, height_mm = (float(v) / 72 * 25.4 for v in box.groups())
    assert abs(width_mm - 85.6) < 0.5 and abs(height_mm - 54) < 0.5


def test_without_a_cjk_font_the_card_is_refused_naming_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RENSHE_CARD_FONT", "/nonexistent/font.ttc")
    monkeypatch.setattr(rendering, "FONT_CANDIDATES", ())
    rendering.font_path.cache_clear()
    rendering._font.cache_clear()
    try:
        with pytest.raises(CardFontMissing, match="fonts-wqy-microhei"):
            render_png(FACE)
    finally:
        rendering.font_path.cache_clear()
        rendering._font.cache_clear()
