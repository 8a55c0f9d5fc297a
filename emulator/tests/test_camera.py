"""Manual 5.19-5.20: JPEG snapshots of the requested resolution, MJPEG for fps >= 1, JSON errors otherwise."""

from __future__ import annotations

import io
import re
import time

import pytest
from harness import assert_error, background, jpeg_size, same_colour
from PIL import Image, ImageChops

RESOLUTIONS = [(160, 120), (176, 144), (320, 240), (352, 272), (352, 288), (640, 480)]


@pytest.mark.parametrize("source", ["internal", "external", None])
@pytest.mark.parametrize("width,height", RESOLUTIONS)
def test_snapshot_has_the_requested_resolution(device, width, height, source):
    params = {"width": str(width), "height": str(height)}
    if source:
        params["source"] = source
    response = device.get("/api/camera/snapshot", params=params)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/jpeg"
    assert jpeg_size(response.content) == (width, height)


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image.convert("RGB")


def test_snapshots_differ_between_devices(fleet):
    first, second = fleet.take(), fleet.take()
    params = {"width": "320", "height": "240", "source": "internal"}
    one = decoded(first.get("/api/camera/snapshot", params=params).content)
    other = decoded(second.get("/api/camera/snapshot", params=params).content)
    assert ImageChops.difference(one, other).getbbox() is not None


def test_snapshots_differ_over_time(device):
    params = {"width": "160", "height": "120"}
    one = decoded(device.get("/api/camera/snapshot", params=params).content)
    time.sleep(0.05)
    two = decoded(device.get("/api/camera/snapshot", params=params).content)
    assert ImageChops.difference(one, two).getbbox() is not None


def test_sources_give_different_images(device):
    params = {"width": "160", "height": "120"}
    internal = device.get("/api/camera/snapshot", params={**params, "source": "internal"}).content
    external = device.get("/api/camera/snapshot", params={**params, "source": "external"}).content
    assert not same_colour(background(internal), background(external))


@pytest.mark.parametrize("params,param", [
    ({"width": "100", "height": "100"}, "width"),  # unsupported resolution
    ({"width": "640", "height": "120"}, "width"),  # each dimension valid, not the pair
    ({"width": "abc", "height": "120"}, "width"),
    ({"width": "160", "height": "-1"}, "height"),
    ({"width": "160", "height": "120", "source": "backyard"}, "source"),
    ({"width": "160", "height": "120", "fps": "fast"}, "fps"),
])
def test_invalid_snapshot_parameters_are_json_error_12(device, params, param):
    response = device.get("/api/camera/snapshot", params=params)
    assert_error(response, 12, param)  # Content-Type application/json, not image/jpeg


@pytest.mark.parametrize("missing", ["width", "height"])
def test_missing_snapshot_dimension_is_error_11(device, missing):
    params = {"width": "160", "height": "120"}
    del params[missing]
    assert_error(device.get("/api/camera/snapshot", params=params), 11, missing)


def read_mjpeg(response, started: float, seconds: float) -> list[tuple[float, bytes]]:
    """Frames of a multipart/x-mixed-replace stream with their arrival times (since `started`), read for `seconds`."""
    boundary = re.search(r"boundary=\"?([^\";]+)", response.headers["Content-Type"]).group(1).encode()
    buffer = b""
    frames: list[tuple[float, bytes]] = []
    for chunk in response.iter_content(chunk_size=4096):
        buffer += chunk
        while True:
            start = buffer.find(b"--" + boundary + b"\r\n")
            if start < 0:
                break
            header_end = buffer.find(b"\r\n\r\n", start)
            if header_end < 0:
                break
            headers = buffer[start:header_end].decode()
            assert "Content-Type: image/jpeg" in headers, headers
            length = int(re.search(r"Content-Length: (\d+)", headers).group(1))
            body_start = header_end + 4
            if len(buffer) < body_start + length:
                break
            frames.append((time.monotonic() - started, buffer[body_start:body_start + length]))
            buffer = buffer[body_start + length:]
        if time.monotonic() - started > seconds:
            break
    return frames


@pytest.mark.parametrize("fps,width,height", [(5, 176, 144), (10, 160, 120)])
def test_mjpeg_stream_of_distinct_frames_at_the_requested_rate(device, fps, width, height):
    params = {"width": str(width), "height": str(height), "fps": str(fps)}
    started = time.monotonic()
    with device.get("/api/camera/snapshot", params=params, stream=True) as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("multipart/x-mixed-replace;")
        assert "boundary=" in response.headers["Content-Type"]
        frames = read_mjpeg(response, started, seconds=1.6)
    arrival = [round(at, 3) for at, _ in frames]
    # never faster than the rate (the first frame comes at once) ...
    for count, at in enumerate(arrival, start=1):
        assert count <= 2 + fps * at, arrival
    # ... and not much slower: roughly fps frames a second
    assert len(frames) >= 0.6 * fps * arrival[-1], arrival
    assert len(frames) >= 5, arrival
    images = [decoded(data) for _, data in frames]
    assert all(image.size == (width, height) for image in images)
    assert len({data for _, data in frames}) == len(frames)  # every frame is a different JPEG
    assert ImageChops.difference(images[0], images[-1]).getbbox() is not None


def test_fps_zero_is_a_single_jpeg(device):
    response = device.get("/api/camera/snapshot", params={"width": "160", "height": "120", "fps": "0"})
    assert response.headers["Content-Type"] == "image/jpeg"
    assert jpeg_size(response.content) == (160, 120)



def test_a_frozen_camera_sends_the_same_picture_until_thawed(device):
    assert device.admin("camera", {"frozen": True}) == {"frozen": True}
    params = {"width": "320", "height": "240"}
    first, second = (device.get("/api/camera/snapshot", params=params).content for _ in range(2))
    assert first == second
    device.admin("camera", {"frozen": False})
    assert device.get("/api/camera/snapshot", params=params).content != first
