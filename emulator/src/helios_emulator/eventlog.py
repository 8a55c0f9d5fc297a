"""The Logging service of current firmware: the device's event history and its subscription channels.

What the later manuals describe (/api/log/caps, subscribe, pull, unsubscribe), in our words:
- the device keeps a bounded history queue of its events (the latest edition: the last 10,000; 2.16: 500);
- a channel has its own queue; new events that pass its filter (and the account's privileges) are added to it;
  `include` fills it at the start with nothing (`new`), the whole history (`all`) or the last N seconds (`-N`);
- a channel that is not pulled for `duration` seconds (default 90) closes as if unsubscribed;
- a pull takes what the queue holds at once, or waits up to `timeout` seconds for the first event;
- everything lives in RAM: a restart closes every channel and event ids start again from 1.

Kept cheap for fleets of a thousand devices: one dict per event, shared by the history and every channel that
receives it; a waiting pull is one future, woken by the event that arrives for its channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from .firmware_data import EVENT_PRIVILEGES

MAX_EVENTS_PER_PULL = 128  # a pull answers at most this many events; the rest wait for the next pull
DEFAULT_DURATION = 90


@dataclass
class Channel:
    id: int
    types: frozenset[str] | None  # None: every type
    privileges: frozenset[str] | None  # None: a service without authentication sees every event
    duration: float
    queue: deque
    last_used: float  # monotonic end of the last subscribe or pull
    waiter: asyncio.Future | None = None
    pulling: int = 0  # pulls waiting on this channel (it does not expire meanwhile)
    closed: bool = False

    def accepts(self, event_type: str) -> bool:
        if self.types is not None and event_type not in self.types:
            return False
        needed = EVENT_PRIVILEGES.get(event_type)
        return needed is None or self.privileges is None or needed in self.privileges

    def expired(self, now: float) -> bool:
        return not self.pulling and now - self.last_used >= self.duration

    def wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)


@dataclass
class EventLog:
    history_size: int
    history: deque = field(init=False)
    channels: dict[int, Channel] = field(default_factory=dict)
    last_id: int = 0

    def __post_init__(self) -> None:
        self.history = deque(maxlen=self.history_size)  # of (monotonic time, record)

    # events ------------------------------------------------------------------------------------------------

    def emit(self, event_type: str, params: dict[str, Any], utc_time: float, up_time: int) -> dict[str, Any]:
        self.last_id += 1
        record = {"id": self.last_id, "utcTime": int(utc_time), "upTime": up_time, "tzShift": 0,
                  "event": event_type, "params": params}
        now = time.monotonic()
        self.history.append((now, record))
        for channel in list(self.channels.values()):
            if channel.expired(now):
                self._close(channel)
            elif channel.accepts(event_type):
                channel.queue.append(record)
                channel.wake()
        return record

    # channels ----------------------------------------------------------------------------------------------

    def subscribe(self, include: str, types: frozenset[str] | None, privileges: frozenset[str] | None,
                  duration: float) -> Channel:
        now = time.monotonic()
        self.expire(now)
        channel_id = random.randrange(1, 1 << 32)  # noqa: S311 - an identifier, not a secret
        while channel_id in self.channels:
            channel_id = random.randrange(1, 1 << 32)  # noqa: S311
        channel = Channel(channel_id, types, privileges, duration, deque(maxlen=self.history_size), now)
        if include != "new":
            since = now - int(include[1:]) if include.startswith("-") else float("-inf")
            channel.queue.extend(record for at, record in self.history
                                 if at >= since and channel.accepts(record["event"]))
        self.channels[channel_id] = channel
        return channel

    def channel(self, channel_id: int) -> Channel | None:
        self.expire(time.monotonic())
        return self.channels.get(channel_id)

    def unsubscribe(self, channel: Channel) -> None:
        self._close(channel)

    def take(self, channel: Channel) -> list[dict[str, Any]]:
        count = min(len(channel.queue), MAX_EVENTS_PER_PULL)
        return [channel.queue.popleft() for _ in range(count)]

    async def wait(self, channel: Channel, timeout: float) -> None:
        """Until an event reaches the channel, the timeout passes, or the channel closes."""
        if channel.waiter is not None:
            channel.wake()  # an earlier pull on the same channel answers (empty) now; this one waits
        waiter = asyncio.get_running_loop().create_future()
        channel.waiter = waiter
        channel.pulling += 1
        try:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(waiter, timeout)
        finally:
            channel.pulling -= 1
            if channel.waiter is waiter:
                channel.waiter = None
            channel.last_used = time.monotonic()

    def expire(self, now: float) -> None:
        for channel in [channel for channel in self.channels.values() if channel.expired(now)]:
            self._close(channel)

    def _close(self, channel: Channel) -> None:
        channel.closed = True
        self.channels.pop(channel.id, None)
        channel.wake()

    def close_all(self) -> None:
        """Power off: every channel closes, waiting pulls end."""
        for channel in list(self.channels.values()):
            self._close(channel)

    def summary(self) -> dict[str, int]:
        self.expire(time.monotonic())
        return {"last_id": self.last_id, "history": len(self.history), "channels": len(self.channels)}
