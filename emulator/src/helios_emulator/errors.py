"""The error replies of manual chapter 2.3."""

from __future__ import annotations

DESCRIPTIONS = {
    1: "function is not supported",
    2: "invalid request path",
    3: "invalid request method",
    4: "function is disabled",
    5: "function is licensed",
    7: "invalid connection type",
    8: "invalid authentication method",
    9: "authorisation required",
    10: "insufficient user privileges",
    11: "missing mandatory parameter",
    12: "invalid parameter value",
    13: "parameter data too big",
    14: "unspecified processing error",
}


class ApiError(Exception):
    """A negative reply: code, description and the offending parameter, if any."""

    def __init__(self, code: int, param: str | None = None):
        super().__init__(f"{DESCRIPTIONS[code]} (code {code}, param {param!r})")
        self.code = code
        self.param = param

    @property
    def description(self) -> str:
        return DESCRIPTIONS[self.code]

    def reply(self) -> dict:
        error: dict = {"code": self.code}
        if self.param is not None:
            error["param"] = self.param
        error["description"] = self.description
        return {"success": False, "error": error}
