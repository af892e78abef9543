"""The card as a picture (人才卡卡面): PNG and PDF, the same bytes every time for the same card.

The card is drawn at the size of an identity card (ISO/IEC 7810 ID-1, 85.6 × 54 mm) at 300 dpi:
a band with the card's name and tier, a photo placeholder, the holder's name, the grouped card
number, the validity and the issuing bureau, and the QR code of the verification URL (level M).

Chinese text needs a CJK font, and a fresh machine has none: the product uses WenQuanYi Micro Hei
from Debian's ``fonts-wqy-microhei`` (installed by ``.ci/run`` and the deployment image), or the
file named by ``RENSHE_CARD_FONT``. Without one, rendering stops with :class:`CardFontMissing`
naming the package — never boxes instead of a name.

Byte-stable: Pillow writes no timestamp into the PNG, and the PDF is written without the creation
and modification dates Pillow would otherwise take from the clock; drawing depends only on the card
(and the font and Pillow versions). The PDF is the same picture on one
page of the card's physical size, so it prints at the right size. Rendering is CPU work: callers
run it in the process pool (``renshe.offload``), never on the event loop.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFont

DPI = 300
WIDTH, HEIGHT = 1011, 638  # 85.6 × 54 mm at 300 dpi
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)
TIER_COLOURS = {"A": (153, 27, 27), "B": (30, 64, 175), "C": (21, 128, 61)}
INK = (31, 41, 55)
MUTED = (107, 114, 128)


class CardFontMissing(RuntimeError):
    """No CJK font to draw the card with."""


@dataclass(frozen=True, slots=True)
class CardFace:
    """What is printed on a card: all of it is on the card the holder carries."""

    card_no: str
    tier: str
    holder_name: str
    valid_from: date
    valid_until: date
    issuer: str  # 江门市蓬江区人力资源和社会保障局
    verify_url: str


@cache
def font_path() -> str:
    configured = os.environ.get("RENSHE_CARD_FONT")
    for candidate in (configured, *FONT_CANDIDATES):
        if candidate and Path(candidate).is_file():
            return candidate
    raise CardFontMissing(
        "No CJK font for the talent card: install Debian's fonts-wqy-microhei "
        "(apt-get install fonts-wqy-microhei) or set RENSHE_CARD_FONT to a .ttc/.ttf/.otf file."
    )


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(font_path(), size)


def grouped_number(card_no: str) -> str:
    """``QD 440703 2026 000123 0``: read aloud in groups."""
    digits = card_no[2:]
    return " ".join(("QD", digits[:6], digits[6:10], digits[10:-1], digits[-1]))


def _qr(url: str, size: int) -> Image.Image:
    """The QR code at a whole number of pixels per module (a fractional scale makes modules of
    uneven width, which cheap phone cameras misread), with the standard 4-module quiet zone."""
    code = segno.make(url, error="m", micro=False, boost_error=False)
    modules = code.symbol_size(scale=1, border=4)[0]
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=max(1, size // modules), border=4)
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


def qr_version(url: str) -> int:
    version = segno.make(url, error="m", micro=False, boost_error=False).version
    assert isinstance(version, int)
    return version


def draw(face: CardFace) -> Image.Image:
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    pen = ImageDraw.Draw(image)
    colour = TIER_COLOURS.get(face.tier, INK)
    # band: the card's name and the tier
    pen.rectangle((0, 0, WIDTH, 118), fill=colour)
    pen.text((40, 26), "侨都人才卡", font=_font(52), fill="white")
    pen.text((330, 44), "QIAODU TALENT CARD", font=_font(30), fill="white")
    pen.rounded_rectangle((WIDTH - 150, 18, WIDTH - 40, 100), radius=14, fill="white")
    pen.text((WIDTH - 95, 59), face.tier, font=_font(60), fill=colour, anchor="mm")
    # photo placeholder
    pen.rectangle((40, 150, 230, 400), outline=MUTED, width=3, fill=(243, 244, 246))
    pen.text((135, 275), "照片", font=_font(34), fill=MUTED, anchor="mm")
    # holder, number, validity, issuer
    x = 265
    pen.text((x, 150), "姓名 Name", font=_font(24), fill=MUTED)
    pen.text((x, 180), face.holder_name, font=_font(50), fill=INK)
    pen.text((x, 260), "卡号 Card No.", font=_font(24), fill=MUTED)
    pen.text((x, 290), grouped_number(face.card_no), font=_font(30), fill=INK)
    pen.text((x, 350), "有效期 Valid", font=_font(24), fill=MUTED)
    validity = f"{face.valid_from.isoformat()} 至 {face.valid_until.isoformat()}"
    pen.text((x, 380), validity, font=_font(30), fill=INK)
    pen.text((40, 500), face.issuer, font=_font(28), fill=INK)
    pen.text((40, 560), "扫码核验真伪与状态 · Scan to verify", font=_font(24), fill=MUTED)
    # the QR code of /verify/<token>
    qr = _qr(face.verify_url, 320)
    image.paste(qr, (WIDTH - qr.width - 20, 130 + (320 - qr.height) // 2))
    return image


def render_png(face: CardFace) -> bytes:
    buffer = io.BytesIO()
    draw(face).save(buffer, format="PNG", optimize=False, dpi=(DPI, DPI))
    return buffer.getvalue()


def render_pdf(face: CardFace) -> bytes:
    buffer = io.BytesIO()
    # Pillow dates the PDF with the current second unless told otherwise; a date in the file would
    # make two renderings of one card differ (and leak when it was printed). None leaves both out.
    draw(face).save(buffer, format="PDF", resolution=float(DPI), quality=95, creationDate=None, modDate=None)
    return buffer.getvalue()
