"""Who is calling the API: the user ``v1._authenticate`` found for this request's token.

Route modules import these instead of reaching back into ``webapp.api.v1`` (which imports them).
"""

from __future__ import annotations

import flask

from webapp.accounts import User
from webapp.api.errors import ApiError


def current_user() -> User:
    user = flask.g.get("api_user")
    if user is None:  # v1._authenticate ran for every non-public route
        raise ApiError(401, "send an API token")
    return user  # type: ignore[no-any-return]


def require_admin() -> User:
    user = current_user()
    if not user.is_admin:
        raise ApiError(403, "this route needs an admin account")
    return user
