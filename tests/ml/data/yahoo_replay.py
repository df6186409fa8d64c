"""Replay recorded Yahoo Finance HTTP responses to yfinance, below its own code.

``ReplaySession`` is a real ``curl_cffi.requests.Session`` (yfinance accepts only those)
whose ``request`` answers from a recording instead of the network, so yfinance's cookie and
crumb handling, its error handling and its parsing all run as in production.

A recording is a JSON file with ``interactions``: each has a ``request`` matcher (method,
host, path, and the query parameters that must match) and a ``response`` (status, headers,
``json`` or ``text`` body) or ``raise`` (an HTTP-layer exception: ``Timeout``,
``ConnectionError``). The first matching interaction answers. A chart response marked
``"window": true`` is cut to the requested ``period1 <= t < period2``, as Yahoo cuts its
answer to the range asked for; an empty cut has the shape Yahoo sends for "no bars".
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from curl_cffi.requests import Response, Session, exceptions as curl_exceptions
from curl_cffi.requests.headers import Headers

RECORDINGS_DIR = Path(__file__).resolve().parent / "recordings"

_REASONS = {200: "OK", 401: "Unauthorized", 404: "Not Found", 429: "Too Many Requests",
            500: "Internal Server Error"}


def load_recording(name: str) -> dict[str, Any]:
    return json.loads((RECORDINGS_DIR / f"{name}.json").read_text())


class ReplaySession(Session):
    """A curl_cffi session that answers from recordings; ``calls`` logs what was asked."""

    def __init__(self, *names: str) -> None:
        super().__init__()
        self.interactions: list[dict[str, Any]] = []
        for name in names:
            self.interactions.extend(load_recording(name)["interactions"])
        self.calls: list[dict[str, Any]] = []
        self.unmatched: list[str] = []

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        params = {k: _text(v) for k, v in (kwargs.get("params") or {}).items()}
        self.calls.append({"method": method, "url": url, "params": params})
        for interaction in self.interactions:
            if _matches(interaction["request"], method, url, params):
                return _respond(interaction, url, params)
        self.unmatched.append(f"{method} {url} {params}")
        return _response(url, params, 404, {"content-type": "text/plain"}, b"not recorded")

    def chart_calls(self) -> list[dict[str, str]]:
        """The parameters of every chart request made (the data requests)."""
        return [c["params"] for c in self.calls if "/v8/finance/chart/" in c["url"]]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _matches(matcher: dict[str, Any], method: str, url: str, params: dict[str, str]) -> bool:
    parts = urlsplit(url)
    if matcher.get("method", "GET") != method.upper():
        return False
    if "host" in matcher and matcher["host"] != parts.hostname:
        return False
    if "path" in matcher and matcher["path"] != parts.path:
        return False
    if "path_prefix" in matcher and not parts.path.startswith(matcher["path_prefix"]):
        return False
    if any(params.get(k) != _text(v) for k, v in matcher.get("params", {}).items()):
        return False
    return all(k in params for k in matcher.get("has_params", []))


def _respond(interaction: dict[str, Any], url: str, params: dict[str, str]) -> Response:
    if "raise" in interaction:
        failure = interaction["raise"]
        error_class = getattr(curl_exceptions, failure["type"])
        raise error_class(failure["message"])
    spec = interaction["response"]
    headers = spec.get("headers", {})
    if "json" in spec:
        body = spec["json"]
        if interaction.get("window") and "period1" in params:
            body = _window(body, int(params["period1"]), int(params["period2"]))
        content = json.dumps(body, separators=(",", ":")).encode()
    else:
        content = spec.get("text", "").encode()
    return _response(url, params, spec.get("status", 200), headers, content)


def _response(url: str, params: dict[str, str], status: int, headers: dict[str, str],
              content: bytes) -> Response:
    response = Response()
    response.url = f"{url}?{urlencode(params)}" if params else url
    response.status_code = status
    response.reason = _REASONS.get(status, "")
    response.ok = 200 <= status < 400
    response.headers = Headers(headers)
    response.content = content
    return response


def _window(body: dict[str, Any], period1: int, period2: int) -> dict[str, Any]:
    body = copy.deepcopy(body)
    result = body["chart"]["result"][0]
    stamps = result.get("timestamp", [])
    keep = [i for i, t in enumerate(stamps) if period1 <= t < period2]
    indicators = result["indicators"]
    if not keep:
        # What Yahoo sends for a known symbol with no bars in the range.
        result.pop("timestamp", None)
        result["indicators"] = {"quote": [{}], "adjclose": [{}]}
        return body
    result["timestamp"] = [stamps[i] for i in keep]
    for block in indicators["quote"] + indicators.get("adjclose", []):
        for key, values in block.items():
            block[key] = [values[i] for i in keep]
    return body
