"""``check --project`` repeated or as a glob checks each project it chooses against its namesake."""

from __future__ import annotations

from typing import Any

import pytest
from cluster_helpers import detection_items, detection_project

from scmigrate.cli import main
from scmigrate.engine.facade import transfer
from scmigrate.testing import put_memory


def check(capsys: Any, *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as done:
        main(["check", *args])
    return int(done.value.code or 0), capsys.readouterr().err


def test_several_projects_by_name_and_by_glob(clusters: Any, registry: Any, capsys: Any) -> None:
    clusters("a")
    clusters("b")
    for name, n in (("Dogs", 2), ("Cats", 3), ("Birds", 1)):
        put_memory(name, detection_project(name), detection_items(n))
        assert transfer(f"memory:{name}", "a", registry=registry, quiet=True).complete
    for name in ("Dogs", "Cats"):
        assert transfer("a", "b", registry=registry, quiet=True, project=name).complete

    code, err = check(capsys, "--from", "a", "--project", "Dogs", "--project", "Cats", "--to", "b")
    assert code == 0 and err.splitlines()[-1] == "identical: 2 of 2 projects", err
    assert "Dogs: identical" in err and "Cats: identical" in err and "Birds" not in err
    code, err = check(capsys, "--from", "a", "--project", "Dogs", "--to", "b", "--project", "Dogs")
    assert code == 0 and err.splitlines()[-1].startswith("identical: 2 identical"), err  # one project, named twice
    code, err = check(capsys, "--from", "a", "--project", "D*", "--to", "b")
    assert code == 0 and err.splitlines()[-1] == "identical: 1 of 1 projects", err
    code, err = check(capsys, "--from", "a", "--project", "B*", "--project", "Dogs", "--to", "b")
    assert code == 2 and "b: no project named 'Birds'" in err  # never copied: named, as for one project
    code, err = check(capsys, "--from", "a", "--project", "Dogs", "--project", "Cats", "--to", "b",
                      "--to-project", "Other")
    assert code == 2 and "leave out --to-project" in err
