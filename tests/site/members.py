"""The site's stateful browser endpoints: a login form with a CSRF token guarding a members-only area, a file
download, and a page that reaches for a private address. Login POSTs are counted in `state.attempts["login"]`."""

from __future__ import annotations

import secrets
from html import escape
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tests.site.behaviours import SiteState, html_response
from tests.site.pages import layout
from tests.site.scripted import render_private_resources

MEMBER_NAME = "member"
MEMBER_PASSWORD = "correct horse battery staple"
MEMBER_ITEMS = 6
SESSION_COOKIE = "sf_member"
GREETING = "Welcome back, member"
DOWNLOAD_BYTES = b"SFDL" + bytes(range(256)) * 16


def _login_page(token: str, error: str | None = None) -> str:
    problem = f'<p class="error">{escape(error)}</p>\n' if error else ""
    body = (
        "<h1>Sign in</h1>\n"
        f"{problem}"
        '<form method="post" action="/login" class="login">\n'
        f'<input type="hidden" name="csrf" value="{token}">\n'
        '<label>Name <input name="username" autocomplete="username"></label>\n'
        '<label>Password <input type="password" name="password" autocomplete="current-password"></label>\n'
        '<button type="submit">Sign in</button>\n'
        "</form>\n"
    )
    return layout("Sign in", body)


def _members_page() -> str:
    links = "".join(
        f'<li><a class="member-link" href="/members/{n}">Member item {n}</a></li>\n' for n in range(1, MEMBER_ITEMS + 1)
    )
    body = (
        '<h1 class="members-title">Members area</h1>\n'
        f'<ul class="member-items">\n{links}</ul>\n'
        # Local storage, not only cookies, must carry over to the pages opened after the login.
        f'<script>localStorage.setItem("greeting", "{GREETING}");</script>\n'
    )
    return layout("Members area", body)


def _member_item_page(number: int) -> str:
    body = (
        f'<h1 class="member-title">Member item {number}</h1>\n'
        f'<p class="member-note">Only members see item {number}.</p>\n'
        '<p id="greeting"></p>\n'
        '<script>document.getElementById("greeting").textContent = localStorage.getItem("greeting") || "";</script>\n'
    )
    return layout(f"Member item {number}", body)


class MembersArea:
    def __init__(self, state: SiteState) -> None:
        self.state = state

    def _signed_in(self, request: Request) -> bool:
        return request.cookies.get(SESSION_COOKIE, "") in self.state.sessions

    async def login(self, request: Request) -> Response:
        """GET: the form with a fresh single-use CSRF token. POST: checks token and password, then sets the session."""
        if request.method == "GET":
            token = secrets.token_urlsafe(16)
            self.state.csrf_tokens.add(token)
            return Response(_login_page(token), media_type="text/html")
        self.state.attempts["login"] += 1
        # The form is urlencoded; parsed by hand because Starlette's parser needs python-multipart.
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        token = form.get("csrf", "")
        if token not in self.state.csrf_tokens:
            return html_response("Forbidden", "The form expired (missing or reused CSRF token). Reload it.", 403)
        self.state.csrf_tokens.discard(token)
        if form.get("username") != MEMBER_NAME or form.get("password") != MEMBER_PASSWORD:
            fresh = secrets.token_urlsafe(16)
            self.state.csrf_tokens.add(fresh)
            return Response(_login_page(fresh, "Wrong name or password."), 401, media_type="text/html")
        session = secrets.token_urlsafe(16)
        self.state.sessions.add(session)
        response = RedirectResponse("/members", 303)
        response.set_cookie(SESSION_COOKIE, session, path="/", httponly=True, samesite="lax")
        return response

    async def members(self, request: Request) -> Response:
        if not self._signed_in(request):
            return RedirectResponse("/login", 303)
        return Response(_members_page(), media_type="text/html")

    async def member_item(self, request: Request) -> Response:
        number: int = request.path_params["number"]
        if not self._signed_in(request):
            return RedirectResponse("/login", 303)
        if not 1 <= number <= MEMBER_ITEMS:
            return html_response("Not found", "No such member item.", 404)
        return Response(_member_item_page(number), media_type="text/html")

    async def download(self, request: Request) -> Response:
        headers = {"Content-Disposition": 'attachment; filename="report.bin"'}
        return Response(DOWNLOAD_BYTES, headers=headers, media_type="application/octet-stream")

    async def private_resources(self, request: Request) -> Response:
        target = request.query_params.get("target", "")
        if not target.startswith(("http://", "https://")):
            return html_response("Bad request", "Pass the private origin as ?target=http://…", 400)
        return Response(render_private_resources(target), media_type="text/html")
