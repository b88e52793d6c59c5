"""Helpers of the old-dialect tests: a browser-like client that logs in through the emulated Dex form."""

from __future__ import annotations

import html
import re
from typing import Any

import requests
from emulator_helpers import Api

import sc_emulator


class Browser(Api):
    """The emulator test client without the token: a browser's cookie jar is its only credential."""

    def __init__(self, cluster: sc_emulator.RunningEmulator) -> None:
        super().__init__(cluster)
        del self.session.headers["x-api-key"]

    def url(self, path: str) -> str:
        # the login pages live outside /api, beside the API paths of the dialect
        return self.cluster.base() + path if path.startswith("/projects") else self.cluster.url + path

    def open_login_form(self) -> requests.Response:
        """``GET /user/login`` and every redirect after it, up to the HTML form."""
        page = self.get("/user/login")
        assert page.status_code == 200 and 'name="password"' in page.text, page.text[:300]
        return page

    def submit(self, page: requests.Response, login: str, password: str) -> requests.Response:
        action = html.unescape(re.search(r'<form method="post" action="([^"]+)"', page.text).group(1))
        return self.post(action, data={"login": login, "password": password})

    def login(self) -> requests.Response:
        done = self.submit(self.open_login_form(), self.cluster.user or "", self.cluster.password or "")
        assert done.status_code == 200 and "_oauth2_proxy" in self.session.cookies, done.text[:300]
        return done


def labels_of(project: dict[str, Any], task_index: int = 1) -> dict[str, dict[str, Any]]:
    return {lab["name"]: lab for lab in project["pipeline"]["tasks"][task_index]["labels"]}
