#!/usr/bin/env python
"""Peak memory of a firmware upload: a 1 MiB image (the baseline) against a 256 MiB one.

helios_firmware streams the image from disk as multipart/form-data, so the uploading process's peak memory
must not grow with the image. Each upload runs in a fresh Python process (the collection's client, over
HTTPS with Digest, to one emulated intercom) that reports its peak RSS; the emulator's own peak RSS is read
from /proc. Prints seconds, peak RSS and the ratios of the large upload to the baseline.

    .venv/bin/python tests/bench/bench_firmware_upload.py [--large-mib 256]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from _collection import add_collection_to_path
from _process import memory_kib

from helios_emulator.testing import EmulatorProcess

BIN = Path(sys.executable).parent
ADDRESS, HTTP_PORT, HTTPS_PORT = '127.0.59.1', 29180, 29543

UPLOAD = r'''
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from ansible_collections.twon.helios.plugins.module_utils._connection import client_from_params
params = dict(host=sys.argv[2], port=int(sys.argv[3]), protocol='https', username='admin', password='2n',
              auth_method='digest', allow_basic_over_http=False, validate_certs=True, ca_path=sys.argv[4],
              timeout=120.0, retries=0)
with client_from_params(params) as client:
    client.get('system/status')  # the Digest handshake, as helios_firmware's first requests do
    started = time.monotonic()
    reply = client.upload('firmware', 'blob-fw', sys.argv[5], 'image.fw', 'application/octet-stream')
    seconds = time.monotonic() - started
print(json.dumps(dict(seconds=seconds, peak_kib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, reply=reply)))
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--large-mib', type=int, default=256)
    options = parser.parse_args()
    collections = add_collection_to_path()
    workdir = Path(tempfile.mkdtemp(prefix='helios-bench-fw-'))
    emulator = EmulatorProcess(workdir, ADDRESS, HTTP_PORT, HTTPS_PORT, state_dir=workdir / 'state').start()
    try:
        ca_path = emulator.ca_path
        results = {}
        for label, mib in (('baseline 1 MiB', 1), ('%d MiB' % options.large_mib, options.large_mib)):
            image = workdir / ('%d.fw' % mib)
            subprocess.run([str(BIN / 'helios-emulator'), 'firmware', '--version', '2.12.0.1.1', '--output', str(image),
                            '--size', str(mib * 1024 * 1024)], check=True)
            emulator_before = memory_kib(emulator.pid)['VmHWM']
            completed = subprocess.run([sys.executable, '-c', UPLOAD, str(collections), ADDRESS, str(HTTPS_PORT), ca_path,
                                        str(image)], capture_output=True, text=True, check=True)
            outcome = json.loads(completed.stdout)
            assert outcome['reply']['version'] == '2.12.0.1.1', outcome
            results[label] = dict(outcome, emulator_peak_kib=memory_kib(emulator.pid)['VmHWM'], emulator_before=emulator_before)
            image.unlink()
            print('%-15s upload %6.2f s (%7.1f MiB/s)  uploader peak RSS %6.1f MiB  emulator peak RSS %6.1f MiB' % (
                label, outcome['seconds'], mib / outcome['seconds'], outcome['peak_kib'] / 1024,
                results[label]['emulator_peak_kib'] / 1024))
        base, large = list(results.values())
        print('ratio %d MiB / 1 MiB: image size %dx, uploader peak RSS %.2fx, emulator peak RSS %.2fx' % (
            options.large_mib, options.large_mib, large['peak_kib'] / base['peak_kib'],
            large['emulator_peak_kib'] / base['emulator_peak_kib']))
    finally:
        emulator.stop(timeout=10)


if __name__ == '__main__':
    main()
