"""The CJK font shipped in static/fonts (built by scripts/build_fonts.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

FONTS = Path(__file__).resolve().parents[2] / "static" / "fonts"


@pytest.mark.parametrize(("name", "weight"), [("Regular", 400), ("Bold", 700)])
def test_it_ships_static_noto_sans_sc_with_rare_name_characters(name: str, weight: int) -> None:
    font = TTFont(FONTS / f"NotoSansSC-{name}.ttf", lazy=True)
    assert "fvar" not in font, "a static instance, not the (10x slower) variable font"
    assert font["OS/2"].usWeightClass == weight
    cmap = font["cmap"].getBestCmap()
    # A GB2312 subset would silently drop these (they would print blank).
    for char in "堃珺喆客户资料登记表":
        assert ord(char) in cmap, char


def test_it_ships_the_ofl_licence_beside_the_fonts() -> None:
    assert "SIL OPEN FONT LICENSE" in (FONTS / "OFL.txt").read_text(encoding="utf-8").upper()
