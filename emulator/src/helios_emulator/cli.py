"""`helios-emulator serve` (a fleet of emulated intercoms) and `helios-emulator firmware` (an image)."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import logging
import os
import signal
import sys
import tempfile
from pathlib import Path

from . import tls
from .device import Device
from .firmware import write_image
from .profile import DEFAULT_PROFILE, REALISTIC_TIMING, ProfileError, load_profile
from .server import Fleet, ready_document


def _addresses(first: str, count: int) -> list[str]:
    start = ipaddress.IPv4Address(first)
    addresses = [str(start + offset) for offset in range(count)]
    for address in addresses:
        if not ipaddress.IPv4Address(address).is_loopback:
            raise SystemExit(f"helios-emulator: {address} is not a loopback address (127.0.0.0/8 only)")
    return addresses


def build_fleet(args: argparse.Namespace) -> tuple[Fleet, Path]:
    profile = load_profile(args.profile)
    if args.realistic:
        # the profile's own nonzero timings win: --realistic fills in the rest
        profile["timing"] = dict(REALISTIC_TIMING, **{key: value for key, value in profile["timing"].items() if value})
    state_dir = Path(args.state_dir) if args.state_dir else None
    devices = [Device(index + 1, profile, address, args.http_port, args.https_port, state_dir)
               for index, address in enumerate(_addresses(args.address, args.devices))]
    addresses = [device.address for device in devices]
    if args.cert and args.key:
        ca_path = Path(args.cert)
        shared = tls.server_context(Path(args.cert), Path(args.key))  # the user's certificate serves every device
        contexts = dict.fromkeys(addresses, shared)
    else:
        # each device presents a certificate of its own naming its address, as a real intercom does
        tls_dir = (state_dir / "tls") if state_dir else Path(tempfile.mkdtemp(prefix="helios-emulator-tls-"))
        ca_path, certs, key_path = tls.generate_per_device(tls_dir, addresses)
        contexts = {address: tls.server_context(cert, key_path) for address, cert in certs.items()}
    fleet = Fleet(devices, contexts, spool_dir=state_dir)
    return fleet, ca_path


async def _serve(args: argparse.Namespace) -> None:
    fleet, ca_path = build_fleet(args)
    await fleet.start()
    if args.ready_file:
        ready = Path(args.ready_file)
        temporary = ready.with_name(ready.name + ".tmp")
        temporary.write_text(json.dumps(ready_document(fleet, ca_path), indent=2))
        os.replace(temporary, ready)
    logging.getLogger("helios_emulator").info("%d devices listening from %s (http %d, https %d)",
                                              len(fleet.devices), args.address, args.http_port, args.https_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await fleet.stop()


def event_loop_runner(choice: str):
    """asyncio.run or uvloop.run: `auto` takes uvloop where it is installed."""
    if choice == "asyncio":
        return asyncio.run
    try:
        # aiohttp's recommended event loop: its TLS and socket layers are C where asyncio's TLS layer is Python,
        # which saves CPU per request and two fifths of the memory of a fleet's open HTTPS connections
        import uvloop
    except ImportError:
        if choice == "uvloop":
            raise
        return asyncio.run  # not built for this platform: the standard loop serves the same replies
    return uvloop.run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="helios-emulator", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve a fleet of emulated intercoms")
    serve.add_argument("--devices", type=int, default=1, help="how many devices (default 1)")
    serve.add_argument("--address", default="127.0.2.1", help="first loopback address (default 127.0.2.1)")
    serve.add_argument("--http-port", type=int, default=8080)
    serve.add_argument("--https-port", type=int, default=8443)
    serve.add_argument("--profile", help="profile file (JSON or YAML): what differs from the default device; "
                                         "device.swVersion 2.13 or later makes current-firmware devices (Logging "
                                         "service, audio/test, email/send), the default 2.11.0.22.1 answers as 2.11")
    serve.add_argument("--realistic", action="store_true",
                       help="answer as an intercom on a real network does: round trip, TLS handshake and processing "
                            "times of REALISTIC_TIMING (profile.py), where the profile's timing sets none")
    serve.add_argument("--state-dir", help="keep each device's configuration and firmware here across restarts")
    serve.add_argument("--ready-file", help="write the fleet's addresses here (JSON) once every device listens")
    serve.add_argument("--cert", help="TLS certificate chain (PEM) instead of a generated self-signed one")
    serve.add_argument("--key", help="TLS private key (PEM) for --cert")
    serve.add_argument("--log-level", default="WARNING")
    serve.add_argument("--event-loop", choices=["auto", "uvloop", "asyncio"], default="auto",
                       help="auto (default): uvloop where it is installed, else asyncio's own")
    firmware = commands.add_parser("firmware", help="write a firmware image the emulator accepts")
    firmware.add_argument("--version", required=True,
                          help="firmware version the image carries, e.g. 2.12.0.1.1 (2.13 or later: current firmware)")
    firmware.add_argument("--output", required=True, help="image file to write")
    firmware.add_argument("--variant", default=DEFAULT_PROFILE["device"]["variant"],
                          help="device variant the image is for (default: the default device's)")
    firmware.add_argument("--size", type=int, default=65536, help="payload size in bytes (default 65536)")
    firmware.add_argument("--build-type", default="", help="alpha, beta or empty for an official build")
    args = parser.parse_args(argv)
    if args.command == "firmware":
        write_image(args.output, args.version, args.variant, args.size, args.build_type)
        return 0
    if args.devices < 1:
        parser.error("--devices must be at least 1")
    if bool(args.cert) != bool(args.key):
        parser.error("--cert and --key go together")
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    try:
        run = event_loop_runner(args.event_loop)
    except ImportError:
        parser.error("--event-loop uvloop: uvloop is not installed")
    try:
        run(_serve(args))
    except ProfileError as exc:
        print(f"helios-emulator: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"helios-emulator: cannot listen: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
