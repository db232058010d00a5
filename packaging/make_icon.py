"""Draws the application icon: a vermilion seal (hanko) with 得 in the bundled font.

Run once after changing the design; the outputs are committed:

    python packaging/make_icon.py

writes ``resources/icon/otokui.png`` (256 px, the window icon) and
``resources/icon/otokui.ico`` (16–256 px, the Windows executable icon).
Pillow is only needed here, at design time.
"""
from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
FONT = ROOT / "resources" / "fonts" / "ipaexg.ttf"
OUT = ROOT / "resources" / "icon"

SEAL = (196, 48, 43, 255)      # 朱色 (vermilion), the colour of a shop's seal
PAPER = (255, 250, 240, 255)   # warm white
CANVAS = 1024                  # drawn large, scaled down for each size
ICO_SIZES = [16, 24, 32, 48, 64, 128, 256]


def draw(size: int = CANVAS, ring: bool = True) -> Image.Image:
    """The icon at ``size`` pixels: a rounded square seal, a thin inner ring and 得.

    Tiny icons leave out the ring and enlarge the character so it stays legible.
    """
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    margin = size * 0.04
    box = (margin, margin, size - margin, size - margin)
    pen.rounded_rectangle(box, radius=size * 0.2, fill=SEAL)
    if ring:
        inset = size * 0.11
        pen.rounded_rectangle((inset, inset, size - inset, size - inset), radius=size * 0.13,
                              outline=PAPER, width=max(1, round(size * 0.025)))
    font = ImageFont.truetype(str(FONT), round(size * (0.6 if ring else 0.78)))
    pen.text((size / 2, size / 2), "得", font=font, fill=PAPER, anchor="mm")
    return image


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    big = draw()
    big.resize((256, 256), Image.Resampling.LANCZOS).save(OUT / "otokui.png", optimize=True)
    # Each size is drawn at 4x and scaled on its own, sharper than one 256 px downscale.
    frames = [draw(s * 4, ring=s >= 48).resize((s, s), Image.Resampling.LANCZOS) for s in ICO_SIZES]
    frames[-1].save(OUT / "otokui.ico", sizes=[(s, s) for s in ICO_SIZES],
                    append_images=frames[:-1])


if __name__ == "__main__":
    main()
