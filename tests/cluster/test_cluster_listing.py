"""The Geti 2.x media listing: pages after the first fetched at once, in order, and nothing missed
when the project changes while it is read."""

from __future__ import annotations

import time
from typing import Any

import pytest
from cluster_helpers import detection_project, image_item

from scmigrate.api import RunOptions
from scmigrate.engine.facade import transfer
from scmigrate.model import Scene
from scmigrate.testing import put_memory
from scmigrate_cluster.dialects.current import CurrentDialect

N, PAGE = 25, 4


@pytest.fixture
def listing(clusters: Any, registry: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A reader of project Dogs (25 images, uploaded in name order) whose listing pages hold 4 media."""
    c = clusters("a")
    put_memory("seed", detection_project("Dogs"), [image_item(f"k{i}", f"img{i:02d}", [Scene()], seed=i)
                                                   for i in range(N)])
    assert transfer("memory:seed", "a", registry=registry, quiet=True, workers=1).complete
    monkeypatch.setattr(CurrentDialect, "page_size", PAGE)
    with registry.resolve_source("a").open("a", RunOptions(project="Dogs")) as reader:
        did, _ = reader._datasets()[0]
        c.admin.clear_counters()
        yield c, reader, reader._dpath(did)


def test_every_page_once_in_upload_order(listing: Any) -> None:
    c, reader, d = listing
    names = [m["name"] for m in reader.d.iter_media(reader.http, d, "image")]
    assert names == [f"img{i:02d}" for i in range(N)]
    assert c.admin.count("POST", "/media:query") == -(-N // PAGE)  # 7 pages, none twice


def test_a_media_removed_while_listing_does_not_hide_another(listing: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A removal shifts every later media one place up: a page fetched after it starts one media late,
    and the one it skips is found by walking the listing again. With one page ahead, the fourth page
    (skip=12) is asked for only once the third is taken, after the removal below."""
    c, reader, d = listing
    monkeypatch.setattr(CurrentDialect, "pages_ahead", 1)
    it = reader.d.iter_media(reader.http, d, "image")
    first_pages = [next(it) for _ in range(2 * PAGE)]
    reader.http.request("DELETE", reader.d.media(d, "image", first_pages[0]["id"]), ok=(200, 204))
    names = [m["name"] for m in first_pages] + [m["name"] for m in it]
    assert sorted(names) == [f"img{i:02d}" for i in range(N)] and len(set(names)) == N
    assert c.admin.count("POST", "/media:query") > -(-N // PAGE)  # the pages, then the walk


def test_pages_ahead_are_bounded(listing: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A caller that takes its time (a backup busy downloading) holds at most pages_ahead pages in
    waiting, not the whole listing."""
    c, reader, d = listing
    monkeypatch.setattr(CurrentDialect, "pages_ahead", 2)
    it = reader.d.iter_media(reader.http, d, "image")
    next(it)
    deadline = time.monotonic() + 10
    while c.admin.count("POST", "/media:query") < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # time enough for the other pages, were they asked for
    assert c.admin.count("POST", "/media:query") == 3  # the first page and two ahead
    assert len([next(it)] + list(it)) == N - 1
    assert c.admin.count("POST", "/media:query") == -(-N // PAGE)


def test_a_small_first_page_then_full_pages(listing: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first page only has to say the total: it asks for fewer, the rest go at the full size."""
    c, reader, d = listing
    monkeypatch.setattr(CurrentDialect, "page_size", 8)
    monkeypatch.setattr(CurrentDialect, "first_page_size", 3)
    names = [m["name"] for m in reader.d.iter_media(reader.http, d, "image")]
    assert names == [f"img{i:02d}" for i in range(N)]
    assert c.admin.count("POST", "/media:query") == 1 + -(-(N - 3) // 8)  # 3, then 8, 8, 6
