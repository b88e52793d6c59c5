"""64 clients at once on keep-alive connections: no lost, duplicated or failed writes."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import requests
from emulator_helpers import image_bytes


def test_64_concurrent_keepalive_clients(api, cluster):
    project = api.create_project("crowd", labels=[{"name": "thing"}])
    label = project["pipeline"]["tasks"][1]["labels"][0]["id"]
    dataset = cluster.base() + api.dataset_path(project)
    headers = {"x-api-key": cluster.token}
    barrier = threading.Barrier(64)
    images = [image_bytes(40 + i % 7, 40, "PNG", (i, 100, 200)) for i in range(64)]

    def client(i: int) -> tuple[str, int]:
        s = requests.Session()
        barrier.wait(timeout=30)  # all 64 start together
        media = s.post(f"{dataset}/media/images", files={"file": (f"c{i}.png", images[i])}, headers=headers,
                       verify=cluster.ca_bundle, timeout=60).json()
        box = {"type": "RECTANGLE", "x": 1, "y": 1, "width": 10, "height": 10}
        scene = s.post(f"{dataset}/media/images/{media['id']}/annotations", headers=headers, timeout=60,
                       json={"annotations": [{"shape": box, "labels": [{"id": label}]}]}, verify=cluster.ca_bundle)
        latest = s.get(f"{dataset}/media/images/{media['id']}/annotations/latest", headers=headers,
                       verify=cluster.ca_bundle, timeout=60)
        s.close()
        return media["id"], scene.status_code + latest.status_code

    with ThreadPoolExecutor(64) as pool:
        results = list(pool.map(client, range(64)))
    assert {code for _, code in results} == {400}  # 200 + 200 for every client
    assert len({mid for mid, _ in results}) == 64
    listing = api.post(f"{api.dataset_path(project)}/media:query", json={}).json()
    assert listing["total_images"] == 64
    assert sorted(m["name"] for m in listing["media"]) == sorted(f"c{i}" for i in range(64))
    assert all(m["annotation_state_per_task"][0]["state"] == "annotated" for m in listing["media"])
