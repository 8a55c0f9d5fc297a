"""Firmware images the emulator accepts.

Layout (documented in the emulator README):
    line 1: the magic `2N-HELIOS-FW/1`
    line 2: a JSON header {"variant", "version", "buildType", "size", "sha256"}
    then `size` bytes of payload whose SHA-256 is `sha256`.
A wrong magic, header, size or checksum is a corrupt image; another variant is a foreign one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

MAGIC = b"2N-HELIOS-FW/1\n"
MAX_HEADER = 4096
_CHUNK = 1024 * 1024


class FirmwareError(ValueError):
    pass


@dataclass(frozen=True)
class FirmwareImage:
    variant: str
    version: str
    build_type: str
    size: int


def _payload_chunks(version: str, size: int):
    """Deterministic, incompressible-looking payload, produced a megabyte at a time."""
    block = hashlib.sha512(version.encode()).digest() * (_CHUNK // 64)
    remaining = size
    counter = 0
    while remaining > 0:
        chunk = block[: min(remaining, _CHUNK)]
        # vary each megabyte a little so the payload is not one repeated block
        chunk = counter.to_bytes(8, "big") + chunk[8:] if len(chunk) > 8 else chunk
        counter += 1
        remaining -= len(chunk)
        yield chunk


def write_image(path: str | Path, version: str, variant: str, size: int = 65536, build_type: str = "") -> Path:
    """Write an image streamed to disk: memory stays flat whatever `size` is."""
    digest = hashlib.sha256()
    for chunk in _payload_chunks(version, size):
        digest.update(chunk)
    header = {"variant": variant, "version": version, "buildType": build_type, "size": size,
              "sha256": digest.hexdigest()}
    path = Path(path)
    with path.open("wb") as out:
        out.write(MAGIC)
        out.write(json.dumps(header, sort_keys=True).encode() + b"\n")
        for chunk in _payload_chunks(version, size):
            out.write(chunk)
    return path


def read_image(stream: BinaryIO) -> FirmwareImage:
    """Validate an image read from `stream`; raises FirmwareError when it is corrupt."""
    if stream.read(len(MAGIC)) != MAGIC:
        raise FirmwareError("not a 2N Helios IP firmware image")
    header_line = stream.readline(MAX_HEADER)
    try:
        header = json.loads(header_line)
        image = FirmwareImage(str(header["variant"]), str(header["version"]), str(header.get("buildType", "")),
                              int(header["size"]))
        expected = str(header["sha256"])
    except (ValueError, KeyError, TypeError) as exc:
        raise FirmwareError("corrupt firmware header") from exc
    digest = hashlib.sha256()
    received = 0
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            break
        received += len(chunk)
        digest.update(chunk)
    if received != image.size or digest.hexdigest() != expected:
        raise FirmwareError("firmware checksum mismatch")
    return image
