"""Helpers of the old-dialect tests: a browser-like client that logs in through the emulated Dex form."""

from __future__ import annotations

import html
import re
from typing import Any

import requests

import sc_emulator


class Browser:
    """A requests session against one emulator, with the cookie jar a browser would keep."""

    def __init__(self, cluster: sc_emulator.RunningEmulator) -> None:
        self.cluster = cluster
        self.session = requests.Session()

    def url(self, path: str) -> str:
        if not path.startswith("/projects"):
            return self.cluster.url + path
        return self.cluster.base() + path

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        # per request: a session-level `verify` loses against REQUESTS_CA_BUNDLE in the environment
        kwargs.setdefault("verify", self.cluster.ca_bundle or True)
        return self.session.request(method, self.url(path), **kwargs)

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> requests.Response:
        return self.request("POST", path, **kw)

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


def project_body(name: str, task_type: str, labels: list[dict[str, Any]] | None = None,
                 chain: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A create body ``dataset → <task>`` (or ``dataset → *chain``) with connections by title."""
    tasks: list[dict[str, Any]] = [{"title": "Dataset", "task_type": "dataset"}]
    if chain:
        tasks += chain
    else:
        task: dict[str, Any] = {"title": "Task", "task_type": task_type}
        if labels is not None:
            task["labels"] = labels
        tasks.append(task)
    connections = [{"from": a["title"], "to": b["title"]} for a, b in zip(tasks, tasks[1:])]
    return {"name": name, "pipeline": {"tasks": tasks, "connections": connections}}


def labels_of(project: dict[str, Any], task_index: int = 1) -> dict[str, dict[str, Any]]:
    return {lab["name"]: lab for lab in project["pipeline"]["tasks"][task_index]["labels"]}
