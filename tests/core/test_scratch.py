"""``scmigrate.scratch``: sets and maps that move to a temporary database past a bound, unchanged in use."""

from __future__ import annotations

import threading

import pytest

from scmigrate.scratch import KeyMap, KeySet

ODD = ["", "a", "ä/ü", "x\udcff", "a" * 300]  # empty, non-ASCII, a surrogate (a file name read so), long


@pytest.mark.parametrize("spill", [1, 3, 10_000])
def test_a_keyset_is_a_set_whether_it_moved_to_disk_or_not(spill):
    ks = KeySet(spill=spill)
    keys = [f"k{i}" for i in range(25)] + ODD
    assert all(ks.add(k) for k in keys)
    assert not any(ks.add(k) for k in keys)  # each once
    assert len(ks) == len(keys) and sorted(ks) == sorted(keys)
    assert all(k in ks for k in keys) and "k25" not in ks and 3 not in ks
    assert (ks._db is None) == (spill > len(keys))


@pytest.mark.parametrize("spill", [1, 3, 10_000])
def test_a_keymap_is_a_dict_whether_it_moved_to_disk_or_not(spill):
    km = KeyMap(spill=spill)
    want = {f"k{i}": (f"v{i}" if i % 2 else {"media": f"m{i}", "frames": [i]}) for i in range(20)}
    want.update({k: k for k in ODD})
    for k, v in want.items():
        km[k] = v
    km["k0"] = "changed"  # an update, in memory or in the database
    want["k0"] = "changed"
    del km["k1"]
    del want["k1"]
    with pytest.raises(KeyError):
        km["nope"]
    with pytest.raises(KeyError):
        del km["nope"]
    assert len(km) == len(want) and dict(km.items()) == want and dict(km) == want and km == want
    assert sorted(km) == sorted(want) and "k1" not in km and km.get("k2") == want["k2"]


def test_changing_while_iterating_is_an_error_once_a_batch_moved():
    ks = KeySet([f"k{i:04}" for i in range(1500)], spill=2)  # in the database: more than one page of rows
    it = iter(ks)
    assert next(it) == "k0000"
    ks.add("c")
    ks.add("d")  # another batch moves
    with pytest.raises(RuntimeError, match="changed while it was iterated"):
        list(it)


def test_threads_adding_the_same_keys_see_each_new_once():
    ks = KeySet(spill=50)
    new: list[str] = []
    lock = threading.Lock()

    def work() -> None:
        for i in range(500):
            if ks.add(f"k{i}"):
                with lock:
                    new.append(f"k{i}")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(new) == sorted(f"k{i}" for i in range(500)) and len(ks) == 500


def test_no_key_in_the_database_is_ever_taken_for_new_across_filter_rebuilds():
    """The filter in front of the database may say "maybe" for a new key, never "no" for a held one:
    a held key taken for new would be written twice."""
    ks, km = KeySet(spill=7), KeyMap(spill=7)
    keys = [f"media-{i}" for i in range(5000)]  # the filter is rebuilt larger several times
    for k in keys:
        ks.add(k)
        km[k] = k.upper()
    assert not any(ks.add(k) for k in keys) and len(ks) == 5000
    assert all(km[k] == k.upper() for k in keys[::7]) and len(km) == 5000
    km[keys[0]] = "again"  # an update, not a second row
    assert len(km) == 5000 and km[keys[0]] == "again"


def test_the_filter_holds_every_key_added_and_few_others():
    from scmigrate.scratch import _Filter

    f = _Filter(4096)
    held = [f"held-{i}" for i in range(4096)]
    for k in held:
        f.add(k)
    assert all(f.may_hold(k) for k in held)  # a Bloom filter never forgets: a miss would lose a key
    others = sum(f.may_hold(f"other-{i}") for i in range(20_000))
    assert others < 200  # ~0.24 % expected at 16 bits and 4 probes per key; 1 % allowed
