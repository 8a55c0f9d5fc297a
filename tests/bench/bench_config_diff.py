#!/usr/bin/env python
"""How long helios_config takes to compare and diff a large configuration document.

Measures the whole pipeline helios_config runs on a device document of about 1 MB (parse, overlay of a
partial desired document, canonical comparison (changed paths), masked rendering of before and after, and
the unified diff Ansible shows) and, as the baseline measured in the same run, a plain ElementTree parse
and serialisation of the same document. Prints seconds and the ratio to the baseline.

    .venv/bin/python tests/bench/bench_config_diff.py [--size-kb 1024] [--repeat 5]
"""

from __future__ import annotations

import argparse
import difflib
import statistics
import time
import xml.etree.ElementTree as ET

from _collection import add_collection_to_path

add_collection_to_path()
from ansible_collections.twon.helios.plugins.module_utils import _config_document as document  # noqa: E402


def device_document(size_kb: int) -> bytes:
    """A realistic-looking <DeviceDatabase> grown with directory entries until it reaches size_kb."""
    head = ('<?xml version="1.0" encoding="UTF-8"?>\n<!--\n    Product name: 2N Helios IP Verso\n-->\n'
            '<DeviceDatabase Version="4">\n<Network>\n<Hostname>helios-1</Hostname>\n<DhcpEnabled>1</DhcpEnabled>\n'
            '</Network>\n<Directory>\n')
    entries, size, index = [], len(head), 0
    while size < size_kb * 1024:
        entry = (f'<User At="{index}">\n<Name>Resident {index}</Name>\n<Email>resident{index}@example.test</Email>\n'
                 f'<Phone>+4202613015{index:05d}</Phone>\n<Pin>{index % 10000:04d}</Pin>\n<Enabled>1</Enabled>\n'
                 f'<Floor>{index % 40}</Floor>\n</User>\n')
        entries.append(entry)
        size += len(entry)
        index += 1
    return (head + "".join(entries) + "</Directory>\n</DeviceDatabase>\n").encode()


def pipeline(raw: bytes, desired) -> int:
    device = document.parse(raw)
    merged = document.overlay(device, desired)[0]
    paths = document.changed_paths(device, merged)
    if not paths:
        return 0
    before = document.render(device, show_secrets=False).splitlines(keepends=True)
    after = document.render(merged, show_secrets=False).splitlines(keepends=True)
    return len(paths) + len(list(difflib.unified_diff(before, after)))


def baseline(raw: bytes) -> int:
    return len(ET.tostring(ET.fromstring(raw)))


def best_of(repeat: int, function, *args) -> float:
    timings = []
    for dummy in range(repeat):
        started = time.perf_counter()
        function(*args)
        timings.append(time.perf_counter() - started)
    return min(timings), statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-kb", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    raw = device_document(args.size_kb)
    users = raw.count(b'<User ')
    # two changes, one early in the directory and one well into it, whatever the document's size
    desired = document.from_settings({"Network": {"Hostname": "door-1"}, "Directory": {"User": [
        {"At": min(17, users - 1), "Floor": 3}, {"At": users * 2 // 3, "Enabled": 0}]}})
    base_best, base_median = best_of(args.repeat, baseline, raw)
    best, median = best_of(args.repeat, pipeline, raw, desired)
    print(f"document: {len(raw) / 1024:.0f} KiB, {users} repeated items")
    print(f"baseline (ElementTree parse + serialise): best {base_best:.3f} s, median {base_median:.3f} s")
    print(f"helios_config diff pipeline:              best {best:.3f} s, median {median:.3f} s")
    print(f"ratio to baseline: {best / base_best:.1f}x; target: well under 1 s -> "
          f"{'met' if median < 1.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
