"""Logging in and out over real HTTP: cookies, rate limits, redirects, cross-site refusal."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.webapp.accounts.conftest import PASSWORD, Stack, start_stack


def _login(stack: Stack, username: str, password: str, **extra: str) -> requests.Response:
    return requests.post(f"{stack.url}/auth/login", timeout=20, allow_redirects=False,
                         data={"username": username, "password": password, **extra})


def test_login_sets_a_hardened_session_cookie(stack: Stack) -> None:
    response = _login(stack, "victor", PASSWORD, next="/account")
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    session = requests.Session()
    session.cookies.update(response.cookies)
    # The session reads the API (GET) like a token would...
    assert session.get(f"{stack.url}/api/v1/symbols", timeout=20).status_code == 200


def test_a_session_cookie_never_authorises_an_api_write(stack: Stack) -> None:
    session = stack.login("alice")
    response = session.post(f"{stack.url}/api/v1/jobs/train", json={"symbol": "AAPL"},
                            timeout=20)
    assert response.status_code == 401


def test_wrong_password_goes_back_to_the_form_without_a_session(stack: Stack) -> None:
    response = _login(stack, "wendy", "wrong password", next="/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?error=invalid")
    assert "session" not in response.cookies
    unknown = _login(stack, "nobody-here", PASSWORD)
    assert unknown.headers["Location"].startswith("/login?error=invalid")


def test_login_never_redirects_off_site(stack: Stack) -> None:
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        response = _login(stack, "wendy", PASSWORD, next=target)
        assert response.status_code == 302 and response.headers["Location"] == "/", target


def test_login_attempts_are_rate_limited_per_user(stack: Stack) -> None:
    # The server allows 5 attempts a minute per address and username (FORESIGHT_...).
    locations = [_login(stack, "limited-user", "wrong password").headers["Location"]
                 for _ in range(7)]
    assert all(loc.startswith("/login?error=invalid") for loc in locations[:5])
    assert locations[-1] == "/login?error=limited"
    # Another username from the same address still gets in.
    assert _login(stack, "wendy", PASSWORD).headers["Location"] == "/"


def test_cross_site_posts_are_refused(stack: Stack) -> None:
    evil = {"Origin": "http://evil.example"}
    response = requests.post(f"{stack.url}/auth/login", headers=evil, timeout=20,
                             data={"username": "wendy", "password": PASSWORD},
                             allow_redirects=False)
    assert response.status_code == 403
    session = stack.login("alice")
    response = session.post(f"{stack.url}/_dash-update-component", headers=evil, json={},
                            timeout=20)
    assert response.status_code == 403


def test_logout_ends_the_session(stack: Stack) -> None:
    session = stack.login("wendy")
    assert session.get(f"{stack.url}/api/v1/symbols", timeout=20).status_code == 200
    response = session.post(f"{stack.url}/auth/logout", timeout=20, allow_redirects=False)
    assert response.status_code == 302
    assert session.get(f"{stack.url}/api/v1/symbols", timeout=20).status_code == 401


@pytest.mark.slow
def test_login_required_mode_closes_every_page_and_callback(tmp_path: Path) -> None:
    stack = start_stack("", tmp_path, {"FORESIGHT_LOGIN_REQUIRED": "true"})
    try:
        page = requests.get(f"{stack.url}/", timeout=20, allow_redirects=False)
        assert page.status_code == 302 and page.headers["Location"].startswith("/login?next=")
        assert requests.get(f"{stack.url}/login", timeout=20).status_code == 200

        def content(session: requests.Session, pathname: str) -> requests.Response:
            return session.post(f"{stack.url}/_dash-update-component", timeout=20, json={
                "output": ".._pages_content.children..._pages_store.data..",
                "outputs": [{"id": "_pages_content", "property": "children"},
                            {"id": "_pages_store", "property": "data"}],
                "inputs": [{"id": "_pages_location", "property": "pathname",
                            "value": pathname},
                           {"id": "_pages_location", "property": "search", "value": ""}],
                "changedPropIds": ["_pages_location.pathname"], "state": []})

        visitor = requests.Session()
        assert content(visitor, "/").status_code == 401
        login_page = content(visitor, "/login")
        assert login_page.status_code == 200 and "login-form" in login_page.text
        viewer = stack.login("victor")
        assert viewer.get(f"{stack.url}/", timeout=20).status_code == 200
        assert content(viewer, "/").status_code == 200
    finally:
        stack.web.stop()
        stack.engine.dispose()
