"""scmigrate.storage: one interface, the same behaviour on a local folder and on S3 (moto)."""

from __future__ import annotations

import uuid

import pytest

from scmigrate.storage import StorageError, split_location, storage_for


@pytest.fixture(params=["local", "s3"])
def root(request, tmp_path) -> str:
    if request.param == "local":
        return str(tmp_path / "repo")
    request.getfixturevalue("s3")
    return f"s3://backups/st-{uuid.uuid4().hex[:8]}"


def test_members_appear_whole_or_not_at_all(root: str) -> None:
    st = storage_for(root)
    st.put_bytes("blobs/ab/one", b"1" * 10)
    assert st.put_if_absent("blobs/ab/two", b"22") and not st.put_if_absent("blobs/ab/two", b"xx")
    assert st.read_bytes("blobs/ab/two") == b"22" and st.size("blobs/ab/one") == 10
    with pytest.raises(RuntimeError):
        with st.write_atomic("refs/half") as f:
            f.write(b"half of it")
            raise RuntimeError("interrupted")
    assert not st.exists("refs/half")
    assert list(st.list()) == ["blobs/ab/one", "blobs/ab/two"] and list(st.list("blobs/ab/t")) == ["blobs/ab/two"]
    with st.open_read("blobs/ab/one") as f:
        f.seek(4)
        assert f.read(3) == b"111"
    st.delete("blobs/ab/one")
    st.delete("blobs/ab/one")  # absent is fine
    assert not st.exists("blobs/ab/one")
    with pytest.raises(StorageError, match="cannot read"):
        st.read_bytes("blobs/ab/one")
    assert (st.lock_path() is None) == ("://" in root)


def test_split_location() -> None:
    st, name = split_location("s3://bucket/x/dogs.scz")
    assert (st.root, name) == ("s3://bucket/x", "dogs.scz")
    st, name = split_location("dogs.scz")
    assert name == "dogs.scz" and st.url(name) == "dogs.scz"
    with pytest.raises(StorageError, match="not an object"):
        split_location("s3://bucket")
    with pytest.raises(StorageError, match="unknown storage scheme"):
        storage_for("nosuch://x/y")
