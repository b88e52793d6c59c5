"""benchmarks/packing_floor.py does the per-byte work it is quoted for (benchmarks/README.md).

Its figure stands for "a .scz writer's bytes with the least Python": if it skipped a file, or
wrote something other than one frame of header and bytes per file, the comparison would lie.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import zstandard

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "packing_floor.py"


def frames(data: bytes) -> list[bytes]:
    """Every zstd frame of ``data``, decoded, in order."""
    out = []
    while data:
        dobj = zstandard.ZstdDecompressor().decompressobj()
        out.append(dobj.decompress(data))
        data = dobj.unused_data
    return out


@pytest.mark.parametrize("how", [["--threads", "2"], ["--processes", "2"]])
def test_one_frame_of_header_and_bytes_per_file(tmp_path: Path, how: list[str]) -> None:
    folder = tmp_path / "files"
    folder.mkdir()
    contents = {f"f{i}.bin": bytes([i]) * (1000 + 7919 * i) for i in range(5)}
    for name, data in contents.items():
        (folder / name).write_bytes(data)
    out = tmp_path / "out"
    subprocess.run([sys.executable, str(SCRIPT), str(folder), str(out), *how], check=True)
    got = frames(out.read_bytes())
    assert sorted(got) == sorted(bytes(512) + d for d in contents.values())
    assert not list(tmp_path.glob("out.*"))  # the processes' segments are joined and removed
