"""Alert routes for the token's owner (filled in when the alerts storage lands)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint


def register(blueprint: Blueprint) -> None:
    """No alert routes yet."""


def openapi_paths() -> dict[str, Any]:
    return {}


def openapi_schemas() -> dict[str, Any]:
    return {}
