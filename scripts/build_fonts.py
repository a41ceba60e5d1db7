"""Build the CJK font shipped for PDFs: static instances of Noto Sans SC (OFL).

Run once (outputs are committed)::

    .venv/bin/python scripts/build_fonts.py

It takes the OFL variable font ``NotoSansSC[wght].ttf`` from the PyPI package
``justmytype-intl-cjk`` and pins its weight axis at 400 and 700 with
``fontTools.varLib.instancer``, writing ``static/fonts/NotoSansSC-Regular.ttf``
and ``static/fonts/NotoSansSC-Bold.ttf`` and copying ``OFL.txt`` beside them.

Why static instances: WeasyPrint with the variable font is ~10x slower per page.
Why no subsetting: a GB2312 subset silently drops name characters such as
堃 珺 喆 (they render blank); WeasyPrint subsets per document anyway.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from fontTools.ttLib import TTFont
from fontTools.varLib import instancer

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "static" / "fonts"
WEIGHTS = {400: "Regular", 700: "Bold"}
# Characters that must survive (rare name characters the desk meets).
MUST_HAVE = "客户资料登记表陈堃王珺李喆盖章经办人"


def find_source() -> Path:
    """Return the variable font inside the installed justmytype-intl-cjk package."""
    import justmytype_intl_cjk

    pkg = Path(justmytype_intl_cjk.__file__).resolve().parent
    source = pkg / "fonts" / "ofl" / "notosanssc" / "NotoSansSC[wght].ttf"
    if not source.exists():
        raise SystemExit(f"not found: {source}")
    return source


def set_names(font: TTFont, style: str) -> None:
    """Give the instance static names (family "Noto Sans SC", subfamily Regular/Bold)."""
    name = font["name"]
    family = "Noto Sans SC"
    full = f"{family} {style}" if style != "Regular" else family
    postscript = f"NotoSansSC-{style}"
    for record_id, value in ((1, family), (2, style), (4, full), (6, postscript)):
        name.setName(value, record_id, 3, 1, 0x409)
    # Typographic family/subfamily (16/17) would otherwise still say "Thin".."Black".
    name.removeNames(nameID=16)
    name.removeNames(nameID=17)
    os2 = font["OS/2"]
    os2.usWeightClass = 700 if style == "Bold" else 400
    # fsSelection: bit 5 BOLD, bit 6 REGULAR; macStyle bit 0 bold.
    os2.fsSelection = (os2.fsSelection & ~0b1100001) | (0b100000 if style == "Bold" else 0b1000000)
    head = font["head"]
    head.macStyle = (head.macStyle & ~1) | (1 if style == "Bold" else 0)


def build(out_dir: Path = OUT_DIR) -> list[Path]:
    source = find_source()
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for weight, style in WEIGHTS.items():
        started = time.monotonic()
        font = TTFont(source)
        static = instancer.instantiateVariableFont(font, {"wght": weight}, updateFontNames=False)
        set_names(static, style)
        target = out_dir / f"NotoSansSC-{style}.ttf"
        static.save(target)
        cmap = TTFont(target)["cmap"].getBestCmap()
        missing = [ch for ch in MUST_HAVE if ord(ch) not in cmap]
        if missing:
            raise SystemExit(f"{target.name} lacks {''.join(missing)}")
        size_mb = target.stat().st_size / 1e6
        elapsed = time.monotonic() - started
        print(f"{target.relative_to(ROOT)}: {size_mb:.1f} MB, {len(cmap)} chars, {elapsed:.0f} s")
        written.append(target)
    licence = out_dir / "OFL.txt"
    shutil.copyfile(source.with_name("OFL.txt"), licence)
    written.append(licence)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output folder")
    args = parser.parse_args(argv)
    build(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
