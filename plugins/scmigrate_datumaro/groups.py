"""Label groups of a classification task, from Datumaro's label parents and label groups.

A cluster's classification task puts labels that exclude each other in one group. The rules,
in order (a later rule overrides an earlier one for the labels it names):

* single-label images: the top-level labels form one exclusive group named after the task, and the
  children of a label form the group named after that parent (a hierarchy, as ``folders:`` reads
  nested folders); images carrying several labels: one group per label (multi-label);
* Datumaro's own label groups (``LabelCategories.label_groups``): an exclusive group keeps its
  labels together under its name, an inclusive one gives each of its labels a group of its own.

Datumaro names a group's labels either by their full name or, for ImageNet's nested folders, by the
last part of the path (group ``label_1`` holds ``label_1_1`` for the label ``label_1/label_1_1``).
"""

from __future__ import annotations

from typing import Any

from scmigrate.model import Label

__all__ = ["classification_groups"]


def _resolve(name: str, group: str, known: set[str]) -> str | None:
    if name in known:
        return name
    nested = f"{group}/{name}"
    return nested if nested in known else None


def classification_groups(labels: list[Label], categories: Any, title: str, multi_label: bool) -> int:
    """Set ``group`` on each label; returns how many labels a Datumaro label group placed."""
    for lb in labels:
        if multi_label:
            lb.group = lb.name
        else:
            lb.group = lb.parent or title
    known = {lb.name for lb in labels}
    by_name = {lb.name: lb for lb in labels}
    placed = 0
    for grp in getattr(categories, "label_groups", None) or []:
        exclusive = getattr(grp.group_type, "name", "EXCLUSIVE") == "EXCLUSIVE"
        for raw in grp.labels:
            name = _resolve(raw, grp.name, known)
            if name is None:
                continue
            by_name[name].group = grp.name if exclusive else name
            placed += 1
    return placed
