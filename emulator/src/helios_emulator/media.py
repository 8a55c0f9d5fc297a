"""Camera snapshots (JPEG) and display images (GIF)."""

from __future__ import annotations

import hashlib
import io
import time

from PIL import Image, ImageDraw, ImageFont

_FONT = ImageFont.load_default()


def snapshot_jpeg(width: int, height: int, *, source: str, serial: str, now: float | None = None,
                  frame: int = 0) -> bytes:
    """A JPEG of the requested size: a per-device colour, the source, the time and a frame counter drawn in,
    so snapshots differ between devices and over time."""
    now = time.time() if now is None else now
    seed = hashlib.sha256(f"{serial}/{source}".encode()).digest()
    image = Image.new("RGB", (width, height), (seed[0], seed[1], seed[2]))
    draw = ImageDraw.Draw(image)
    # a moving bar makes consecutive frames visibly different
    bar = int((now * 40) % max(width, 1))
    draw.rectangle([bar, 0, min(bar + width // 10, width - 1), height - 1], fill=(255 - seed[0], 255 - seed[1], 0))
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}"
    for row, text in enumerate((serial, source, stamp, f"frame {frame}")):
        draw.text((4, 4 + row * 12), text, fill=(255, 255, 255), font=_FONT)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=70)
    return out.getvalue()


def gif_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a GIF image, or None when `data` is not a readable GIF."""
    if not data.startswith((b"GIF87a", b"GIF89a")):
        return None
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            if image.format != "GIF":
                return None
            return image.size
    except (OSError, ValueError, SyntaxError):
        return None
