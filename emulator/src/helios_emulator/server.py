"""The HTTP layer: one aiohttp application serves every device of the fleet.

A request reaches the device listening on the address and port it came in on. The checks run in the
order a client can act on them: path (2), method (3), service enabled (4), transport (7), authentication
method (8) and credentials (9, HTTP 401 with a challenge), privileges (10), licence (5); then the handler
validates its parameters (11, 12, 13) and acts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import parse_qsl

from aiohttp import web

from .auth import Authenticator
from .device import Blob, Device, Reply, Request
from .errors import ApiError

LOG = logging.getLogger("helios_emulator")
JSON_TYPE = "application/json"
# PUT of firmware and configuration may also carry the blob as the raw body, as the vendor's client sends it
RAW_BODY_BLOBS = {"/api/firmware": "blob-fw", "/api/config": "blob-cfg"}
MJPEG_BOUNDARY = "helios-frame"
MJPEG_MAX_SECONDS = 600  # a stream ends by itself eventually, so a forgotten client cannot pin the emulator
_SPOOL_CHUNK = 256 * 1024


def json_body(payload: dict[str, Any]) -> bytes:
    # the manual's replies are indented with " : " separators
    return json.dumps(payload, indent=2, separators=(",", " : ")).encode()


class DroppedConnection(Exception):
    """Fault injection closed the connection: nothing is to be written."""


class Fleet:
    """Devices, their listeners and their restarts."""

    def __init__(self, devices: list[Device], ssl_contexts: dict[str, Any], spool_dir: Path | None = None):
        self.devices = devices
        self.ssl_contexts = ssl_contexts  # {address: its HTTPS listener's ssl.SSLContext}
        self.spool_dir = spool_dir
        self._by_endpoint: dict[tuple[str, int], Device] = {}
        for device in devices:
            self._by_endpoint[(device.address, device.http_port)] = device
            self._by_endpoint[(device.address, device.https_port)] = device
        self.authenticators = {id(device): Authenticator(float(device.profile["nonce_lifetime"])) for device in devices}
        self._sites: dict[int, list[web.TCPSite]] = {}
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task] = set()
        self._stopping = False  # set on shutdown: open MJPEG streams end so the process can exit
        self._counted_connections: set[asyncio.BaseTransport] = set()  # transports already counted
        self._forget_closed_at = 256

    # lifecycle ------------------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self.dispatch)
        # on SIGTERM, requests still in progress (injected latency) get a second, not aiohttp's default minute
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        await asyncio.gather(*(self._listen(device) for device in self.devices))

    async def stop(self) -> None:
        self._stopping = True
        for device in self.devices:
            if device.log is not None:
                device.log.close_all()  # waiting pulls answer now, not when their timeout passes
        for task in list(self._tasks):
            task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _listen(self, device: Device) -> None:
        sites = [web.TCPSite(self._runner, device.address, device.http_port, reuse_address=True),
                 web.TCPSite(self._runner, device.address, device.https_port,
                             ssl_context=self.ssl_contexts[device.address], reuse_address=True)]
        for site in sites:
            await site.start()
        self._sites[id(device)] = sites

    def _background(self, coroutine) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def restart(self, device: Device) -> None:
        """Stop answering (connections refused) for the restart time, then come back freshly booted."""
        await asyncio.sleep(0.05)  # let the reply that asked for the restart reach the client
        downtime = device.begin_restart()
        LOG.info("%s restarting for %.1f s", device.address, downtime)
        for site in self._sites.pop(id(device), []):
            await site.stop()
        self._close_connections(device)
        await asyncio.sleep(downtime)
        device.boot()
        await self._listen(device)
        LOG.info("%s is back with firmware %s", device.address, device.sw_version)

    def _close_connections(self, device: Device) -> None:
        server = self._runner.server if self._runner else None
        for handler in list(getattr(server, "connections", []) if server else []):
            transport = handler.transport
            if transport is not None and (transport.get_extra_info("sockname") or ("",))[0] == device.address:
                transport.close()

    # requests ----------------------------------------------------------------------------------------------

    def _device_for(self, request: web.Request) -> Device:
        sockname = request.transport.get_extra_info("sockname") if request.transport else None
        device = self._by_endpoint.get((sockname[0], sockname[1])) if sockname else None
        if device is None:
            raise web.HTTPNotFound()
        return device

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        device = self._device_for(request)
        if "Host" not in request.headers:
            return web.Response(status=400, text="Host header required\n")  # manual chapter 2
        if request.path.startswith("/_emulator/"):
            return await self._admin(request, device)
        if request.path == "/api" or request.path.startswith("/api/"):
            new_connection = self._count_traffic(request, device)
            await self._take_time(request, device, new_connection)
            try:
                return await self._api(request, device)
            except DroppedConnection:
                # the client sees the connection close with no reply
                return web.Response(status=204)
        if request.path in ("/", "/apitest.html"):
            return web.Response(text=f"<html><body><h1>{device.variant}</h1><p>{device.serial_number}</p>"
                                     "</body></html>\n", content_type="text/html")
        return web.Response(status=404, text="Not Found\n")

    @staticmethod
    async def _take_time(request: web.Request, device: Device, new_connection: bool) -> None:
        """Wait as long as the profile's timing says the request takes to reach the device and be handled.

        The loopback connection is made at once, so a request that opened one also waits what opening it costs:
        a round trip for TCP, and for HTTPS two more and the device's handshake work (TLS 1.2). The reply's way
        back is counted here too, before the device acts: what the client measures is the same.
        """
        timing = device.profile["timing"]
        seconds = timing["round_trip"] + timing["processing"]
        if new_connection:
            seconds += timing["round_trip"]
            if request.secure:
                seconds += 2 * timing["round_trip"] + timing["tls_handshake"]
        if seconds:
            await asyncio.sleep(seconds)

    def _count_traffic(self, request: web.Request, device: Device) -> bool:
        """Count the request, and its connection when it is the connection's first; whether it was."""
        device.traffic["requests"] += 1
        transport = request.transport
        if transport is None or transport in self._counted_connections:
            return False
        if len(self._counted_connections) >= self._forget_closed_at:
            # uvloop's transports cannot be weakly referenced: forget the closed ones now and then instead
            self._counted_connections = {known for known in self._counted_connections if not known.is_closing()}
            self._forget_closed_at = max(256, 2 * len(self._counted_connections))
        self._counted_connections.add(transport)
        device.traffic["connections"] += 1
        return True

    def _reply(self, device: Device, payload: dict[str, Any], status: int = 200,
               headers: dict[str, str] | None = None) -> web.Response:
        response_headers = {"Content-Type": JSON_TYPE, "Server": f"HIP{device.sw_version}"}
        response_headers.update(headers or {})
        return web.Response(status=status, body=json_body(payload), headers=response_headers)

    @staticmethod
    def _targeted(request: web.Request, faults: dict[str, Any]) -> bool:
        """Whether the request is one the path and method filters aim the faults at."""
        if not request.path.startswith(faults.get("path") or "/api"):
            return False
        return not faults.get("method") or request.method == faults["method"]

    @staticmethod
    def _drop(request: web.Request, faults: dict[str, Any], key: str) -> NoReturn:
        """Close the connection without a reply, counting down the fault's count (-1: every time)."""
        if faults[key] > 0:
            faults[key] -= 1
        if request.transport is not None:
            request.transport.abort()
        raise DroppedConnection()

    async def _inject_faults(self, request: web.Request, device: Device) -> web.Response | None:
        faults = device.faults
        if faults.get("latency"):
            await asyncio.sleep(float(faults["latency"]))
        if not self._targeted(request, faults):
            return None
        if faults.get("drop"):
            self._drop(request, faults, "drop")
        if faults.get("http_error") and faults.get("http_error_count", -1):
            if faults.get("http_error_count", -1) > 0:
                faults["http_error_count"] -= 1
            status = int(faults["http_error"])
            return web.Response(status=status, text=f"{status} injected fault\n", headers={"Server": "HIP"})
        if faults.get("reply") is not None:
            # a device (or something posing as one) that answers with another JSON document than the function's
            return self._reply(device, faults["reply"])
        return None

    async def _api(self, request: web.Request, device: Device) -> web.StreamResponse:
        faulty = await self._inject_faults(request, device)
        if faulty is not None:
            return faulty
        path = request.path.rstrip("/")
        function = device.family.functions.get(path)
        try:
            if function is None:
                raise ApiError(2)
            if request.method not in function.methods:
                raise ApiError(3)
            service = device.services()[function.service]
            if not service.enabled:
                raise ApiError(4)
            if service.connection == "https" and not request.secure:
                raise ApiError(7)
            account = None
            if service.auth != "none":
                authenticator = self.authenticators[id(device)]
                outcome = authenticator.check(service.auth, request.headers.get("Authorization"), request.method,
                                              device.accounts(), uri=request.raw_path)
                if outcome.wrong_method:
                    raise ApiError(8)
                if outcome.account is None:
                    challenge = authenticator.challenge(service.auth, stale=outcome.stale)
                    device.traffic["challenges"] += 1
                    return self._reply(device, ApiError(9).reply(), status=401, headers={"WWW-Authenticate": challenge})
                account = outcome.account
            if account is not None and function.privilege and function.privilege not in account.privileges:
                raise ApiError(10)
            if function.licensed and not device.licence:
                raise ApiError(5)
            params, blobs = await self._read_params(request, device, RAW_BODY_BLOBS.get(path))
            try:
                privileges = account.privileges if account is not None else None
                reply = getattr(device, function.handler)(Request(request.method, params, blobs, privileges))
            finally:
                for blob in blobs.values():
                    blob.path.unlink(missing_ok=True)
            if reply.pending is not None:
                reply = await reply.pending()  # a long poll (log/pull) waits here without holding the loop
                if device.restarting or self._stopping:
                    # the device went down (or the emulator stops) while the request waited: no reply
                    if request.transport is not None:
                        request.transport.abort()
                    return web.Response(status=204)
        except ApiError as error:
            if device.restarting or self._stopping:
                if request.transport is not None:
                    request.transport.abort()
                return web.Response(status=204)
            return self._reply(device, error.reply())
        if reply.restart:
            self._background(self.restart(device))
        if device.faults.get("drop_reply") and self._targeted(request, device.faults):
            self._drop(request, device.faults, "drop_reply")  # the device has acted; its reply is lost
        return await self._render(request, device, reply)

    async def _render(self, request: web.Request, device: Device, reply: Reply) -> web.StreamResponse:
        if reply.mjpeg is not None:
            return await self._stream_mjpeg(request, device, **reply.mjpeg)
        if reply.body is not None:
            return web.Response(body=reply.body, headers={"Content-Type": reply.content_type,
                                                          "Server": f"HIP{device.sw_version}"})
        payload: dict[str, Any] = {"success": True}
        if reply.result is not None:
            payload["result"] = reply.result
        return self._reply(device, payload)

    async def _stream_mjpeg(self, request: web.Request, device: Device, width: int, height: int, source: str,
                            fps: int) -> web.StreamResponse:
        response = web.StreamResponse(headers={
            "Content-Type": f"multipart/x-mixed-replace; boundary={MJPEG_BOUNDARY}",
            "Server": f"HIP{device.sw_version}", "Cache-Control": "no-cache"})
        await response.prepare(request)
        loop = asyncio.get_running_loop()
        started = next_frame = loop.time()
        with contextlib.suppress(ConnectionError, asyncio.CancelledError):
            while not (device.restarting or self._stopping) and loop.time() - started < MJPEG_MAX_SECONDS:
                frame = device.snapshot(width, height, source)
                await response.write(f"--{MJPEG_BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(frame)}"
                                     "\r\n\r\n".encode() + frame + b"\r\n")
                next_frame += 1.0 / fps
                await asyncio.sleep(max(0.0, next_frame - loop.time()))
        return response

    # parameters (manual 2.2) ---------------------------------------------------------------------------

    async def _read_params(self, request: web.Request, device: Device,
                           raw_blob: str | None) -> tuple[dict[str, str], dict[str, Blob]]:
        """Query, urlencoded and multipart parameters combined; the last occurrence wins.
        `blob-` parameters come only from multipart (or the raw body of PUT where the device takes it)."""
        params: dict[str, str] = {}
        blobs: dict[str, Blob] = {}

        def simple(name: str, value: str) -> None:
            if not name.startswith("blob-"):
                params[name] = value

        for name, value in request.query.items():
            simple(name, value)
        if request.method not in ("POST", "PUT") or not request.body_exists:
            return params, blobs
        content_type = request.content_type
        try:
            if content_type == "application/x-www-form-urlencoded":
                body = await request.read()
                for name, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
                    simple(name, value)
            elif content_type == "multipart/form-data":
                reader = await request.multipart()
                while (part := await reader.next()) is not None:
                    if part.name is None:
                        continue
                    if part.name.startswith("blob-"):
                        old = blobs.pop(part.name, None)
                        if old is not None:
                            old.path.unlink(missing_ok=True)
                        blobs[part.name] = await self._spool(part, device, part.name, blobs)
                    else:
                        params[part.name] = (await part.read()).decode("utf-8", "replace")
            elif request.method == "PUT" and raw_blob is not None:
                blobs[raw_blob] = await self._spool(request.content, device, raw_blob, blobs)
        except (ApiError, web.HTTPRequestEntityTooLarge) as exc:
            for blob in blobs.values():
                blob.path.unlink(missing_ok=True)
            if isinstance(exc, web.HTTPRequestEntityTooLarge):
                # simple parameters past aiohttp's body limit: the manual's code 13, not a bare HTTP 413
                raise ApiError(13) from exc
            raise
        return params, blobs

    async def _spool(self, source, device: Device, name: str, blobs: dict[str, Blob]) -> Blob:
        """Stream a large parameter to a temporary file, refusing it (code 13) past the device's limit."""
        limit = device.family.limits.get(name, 64 * 1024 * 1024)
        handle, temporary = tempfile.mkstemp(prefix="helios-blob-", dir=self.spool_dir)
        size = 0
        try:
            with os.fdopen(handle, "wb") as out:
                while True:
                    chunk = await (source.read_chunk(_SPOOL_CHUNK) if hasattr(source, "read_chunk")
                                   else source.read(_SPOOL_CHUNK))
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > limit:
                        raise ApiError(13, name)
                    out.write(chunk)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return Blob(Path(temporary), size)

    # administration (fault injection and test hooks), loopback only --------------------------------------

    async def _admin(self, request: web.Request, device: Device) -> web.Response:
        remote = request.remote or ""
        if not (remote.startswith("127.") or remote == "::1"):
            return web.Response(status=403, text="loopback only\n")
        action = request.path[len("/_emulator/"):].rstrip("/")
        body: dict[str, Any] = {}
        if request.method == "POST" and request.body_exists:
            try:
                body = await request.json()
            except ValueError:
                return web.json_response({"error": "body must be JSON"}, status=400)
        try:
            result = self._admin_action(device, action, request.method, body)
        except AdminConflict as exc:
            return web.json_response({"error": str(exc)}, status=409)
        except (KeyError, ValueError, TypeError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        if result is None:
            return web.json_response({"error": f"unknown admin action {action!r}"}, status=404)
        return web.json_response(result)

    def _admin_action(self, device: Device, action: str, method: str, body: dict[str, Any]) -> dict | None:
        if action == "faults":
            if method == "POST":
                device.faults.update(body)
            return dict(device.faults)
        if action == "faults/clear" and method == "POST":
            device.faults.clear()
            return {}
        if action == "state":
            return device.runtime_state()
        if action == "incoming-call" and method == "POST":
            return {"session": device.incoming_call(str(body["number"]))}
        if action == "camera" and method == "POST":
            device.freeze_camera(bool(body["frozen"]))
            return {"frozen": bool(body["frozen"])}
        if action == "input" and method == "POST":
            device.set_input(str(body["port"]), int(body["state"]))
            return {"port": body["port"], "state": int(body["state"])}
        if action == "event" and method == "POST":
            if device.log is None:
                raise AdminConflict(f"firmware {device.sw_version} has no Logging service (current firmware, "
                                    "2.13 and later, has)")
            if device.restarting:
                raise AdminConflict("the device is restarting")
            if not isinstance(body, dict) or not isinstance(body.get("event"), str):
                raise ValueError('the body must be {"event": <type>, "params": {...}}')
            record = device.physical_event(body["event"], body.get("params"))
            return {"id": record["id"]}
        return None


class AdminConflict(Exception):
    """An admin request the device cannot carry out in its present state (HTTP 409)."""


def ready_document(fleet: Fleet, ca_path: Path | None) -> dict[str, Any]:
    return {
        "devices": [{"address": device.address, "http_port": device.http_port, "https_port": device.https_port,
                     "serial_number": device.serial_number} for device in fleet.devices],
        "ca_path": str(ca_path) if ca_path else None,
        "pid": os.getpid(),
        "started": time.time(),
    }
