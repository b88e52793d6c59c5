"""An index that leaves a member out must not lose it without a word: the reader refuses, naming
the member; verify names it from its own tar header; --salvage reads it by walking the frames."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from archive_helpers import items, open_archive, rewrite_index, write_archive

from scmigrate.errors import InputError

SCMIGRATE = Path(sys.executable).with_name("scmigrate")


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCMIGRATE), "-q", *args], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def six(tmp_path_factory) -> tuple[Path, dict[str, bytes]]:
    path = tmp_path_factory.mktemp("gaps") / "six.scz"
    its = items(6, side=24)
    write_archive(path, its)
    return path, {it.key: it.open().read() for it in its}


def _content(path: Path) -> dict[str, bytes]:
    with open_archive(path) as reader:
        return {it.key: it.open().read() for it in reader.items()}


def _omit_third_item(six, tmp_path: Path) -> tuple[Path, str, str]:
    path, _ = six
    with open_archive(path) as reader:
        victim = sorted((e for e in reader.entries.values() if e["name"].startswith("items/")),
                        key=lambda e: e["offset"])[2]
    bad = tmp_path / "omits.scz"
    rewrite_index(path, bad, lambda doc: doc["members"].remove(victim))
    return bad, victim["name"], victim["key"]


def test_an_index_that_omits_an_item_is_refused_naming_it(six, tmp_path: Path) -> None:
    bad, member, key = _omit_third_item(six, tmp_path)
    with open_archive(bad) as reader:
        with pytest.raises(InputError) as err:
            list(reader.items())
    assert f"{bad}: index.json: does not list {member} (item {key!r})" in str(err.value)
    for command in (["inspect", str(bad)], ["run", "--from", str(bad), "--to", str(tmp_path / "out.scz")]):
        done = _cli(*command)
        assert done.returncode == 2, (command, done.stdout, done.stderr)
        [line] = done.stderr.splitlines()
        assert line.startswith(f"error: {bad}: index.json: does not list {member} (item {key!r})")
        assert "--salvage" in line
    assert not (tmp_path / "out.scz").exists()


@pytest.mark.parametrize("quick", [False, True])
def test_verify_names_the_member_the_index_leaves_out(six, tmp_path: Path, quick: bool) -> None:
    bad, member, key = _omit_third_item(six, tmp_path)
    with open_archive(bad) as reader:
        lines = reader.verify(quick=quick)
    assert "index.json: declares 6 items but lists 5" in lines
    assert any(line.startswith(f"{member} (item {key!r}): not listed in the index (bytes ") for line in lines), lines
    done = _cli("verify", *(["--quick"] if quick else []), str(bad))
    assert done.returncode == 1 and f"damaged: {member} (item {key!r}): not listed in the index" in done.stdout


def test_an_index_whose_counts_disagree_is_refused(six, tmp_path: Path) -> None:
    bad = tmp_path / "miscounted.scz"
    rewrite_index(six[0], bad, lambda doc: doc.update(items=7))
    with pytest.raises(InputError, match=r"index\.json: declares 7 items but lists 6; read it with --salvage"):
        with open_archive(bad) as reader:
            reader.project()
    with open_archive(bad) as reader:
        assert reader.verify() == ["index.json: declares 7 items but lists 6"]


def test_salvage_reads_what_the_index_leaves_out(six, tmp_path: Path) -> None:
    bad, _, _ = _omit_third_item(six, tmp_path)
    out = tmp_path / "salvaged.scz"
    done = _cli("run", "--from", str(bad), "--salvage", "--to", str(out))
    assert done.returncode == 0, done.stderr
    assert _content(out) == six[1]
    info = _cli("inspect", "--salvage", str(bad))
    assert info.returncode == 0 and "items: 6" in info.stdout, info.stdout + info.stderr


def test_salvage_leaves_out_a_damaged_item_and_names_it(six, tmp_path: Path) -> None:
    path, originals = six
    with open_archive(path) as reader:
        blob = sorted((e for e in reader.entries.values() if e["name"].startswith("blobs/")),
                      key=lambda e: e["offset"])[1]
        key = next(e["key"] for e in reader.entries.values() if e.get("blob") == blob["name"])
    data = bytearray(path.read_bytes())
    data[blob["offset"] + blob["length"] // 2] ^= 0x10
    bad, out = tmp_path / "flipped.scz", tmp_path / "out.scz"
    bad.write_bytes(data)
    done = _cli("run", "--from", str(bad), "--salvage", "--to", str(out))
    assert done.returncode == 0, done.stderr
    assert f"{blob['name']} at byte {blob['offset']} left out: damaged" in done.stderr
    assert "left out: items/" in done.stderr and f"(item {key!r}): refers to {blob['name']}" in done.stderr
    assert _content(out) == {k: v for k, v in originals.items() if k != key}


def test_salvage_reads_the_complete_members_of_a_cut_archive(six, tmp_path: Path) -> None:
    path, originals = six
    with open_archive(path) as reader:
        fourth = sorted((e for e in reader.entries.values() if e["name"].startswith("items/")),
                        key=lambda e: e["offset"])[3]
    cut = tmp_path / "cut.scz"
    cut.write_bytes(path.read_bytes()[: fourth["offset"] + 7])
    with pytest.raises(InputError, match="incomplete archive"):
        with open_archive(cut) as reader:
            reader.project()
    from scmigrate_archive.reader import ArchiveReader

    with ArchiveReader(cut, salvage=True) as reader:
        got = {it.key: it.open().read() for it in reader.items()}
        notes = reader.notes()
    assert len(got) == 3 and all(originals[k] == v for k, v in got.items())
    assert any("cut short" in n for n in notes) and "3 item(s) found" in notes[0]


def test_an_index_that_lists_a_member_twice_is_refused_naming_it(six, tmp_path: Path) -> None:
    """Found by the entries' own table (its names are unique), not by a look-up per entry."""
    path, _ = six
    bad = tmp_path / "twice.scz"
    twice: list[str] = []

    def repeat_an_item(doc: dict) -> None:
        entry = next(e for e in doc["members"] if e["name"].startswith("items/"))
        twice.append(entry["name"])
        doc["members"].append(dict(entry))

    rewrite_index(path, bad, repeat_an_item)
    with pytest.raises(InputError, match=rf"^{bad}: index.json: lists {twice[0]} twice$"):
        open_archive(bad).project()


def test_the_size_hint_counts_each_item_with_its_blob(tmp_path: Path) -> None:
    """One query over the entries: an image two items share counts twice, as two uploads send it."""
    its = items(5, dup_every=2, side=24)  # items 1 and 3 repeat the images of 0 and 2
    path = tmp_path / "dup.scz"
    write_archive(path, its)
    with open_archive(path) as reader:
        hint = reader.size_hint()
        blobs = sum(1 for n in reader.entries if n.startswith("blobs/"))
    assert (hint.items, blobs) == (5, 3)
    assert hint.bytes == sum(len(it.open().read()) for it in its)
