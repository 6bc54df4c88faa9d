"""The folder walk every reader shares (``formats/walk.py``): links, loops, hidden folders, order."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aihub_bench.errors import BadInputError, ErrorPolicy
from aihub_bench.formats.walk import file_inside, walk_inside


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


def _files(root: Path, policy: ErrorPolicy, **options) -> list[str]:
    """Every file the walk lists, as a path relative to ``root`` (links keep their own name)."""
    return [
        (folder / name).relative_to(root).as_posix()
        for folder, _dirs, names in walk_inside(root, policy, **options)
        for name in names
    ]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    for rel in ("b/2.txt", "a/1.txt", "a/z/3.txt", "top.txt"):
        _touch(root / rel)
    return root


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "elsewhere"
    _touch(folder / "far.txt")
    return folder


def test_the_order_is_sorted_depth_first_whatever_the_creation_order(tree: Path) -> None:
    _touch(tree / "a/c/4.txt")  # created after a/z, listed before it
    walked = [(f.relative_to(tree).as_posix(), d, n) for f, d, n in walk_inside(tree, ErrorPolicy())]
    assert walked == [
        (".", ["a", "b"], ["top.txt"]),
        ("a", ["c", "z"], ["1.txt"]),
        ("a/c", [], ["4.txt"]),
        ("a/z", [], ["3.txt"]),
        ("b", [], ["2.txt"]),
    ]


def test_a_link_inside_the_root_is_walked_once(tree: Path) -> None:
    (tree / "b/again").symlink_to(tree / "a/z", target_is_directory=True)  # a second way to a/z
    policy = ErrorPolicy()
    assert _files(tree, policy) == ["top.txt", "a/1.txt", "a/z/3.txt", "b/2.txt"]
    assert policy.stats["folder_links_inside_root"] == 1 and policy.stats["folders_linked_twice"] == 1


def test_a_link_inside_the_root_reaching_beyond_top_is_followed(tree: Path) -> None:
    (tree / "b/z").symlink_to(tree / "a/z", target_is_directory=True)
    policy = ErrorPolicy()
    assert _files(tree, policy, top=tree / "b") == ["b/2.txt", "b/z/3.txt"]  # the link's own name
    assert policy.stats["folder_links_inside_root"] == 1 and "folders_linked_twice" not in policy.stats


def test_a_link_loop_ends(tree: Path) -> None:
    (tree / "a/z/up").symlink_to(tree, target_is_directory=True)
    (tree / "b/self").symlink_to(tree / "b", target_is_directory=True)
    policy = ErrorPolicy()
    assert _files(tree, policy) == ["top.txt", "a/1.txt", "a/z/3.txt", "b/2.txt"]
    assert policy.stats["folders_linked_twice"] == 2


def test_a_link_outside_the_root_is_refused_naming_the_link(tree: Path, outside: Path) -> None:
    link = tree / "a/far"
    link.symlink_to(outside, target_is_directory=True)
    with pytest.raises(BadInputError) as info:
        _files(tree, ErrorPolicy("raise"), contents="images")
    err = info.value
    assert err.kind == "link_outside_root" and err.path == str(link)
    assert (
        "leads outside the dataset root" in err.reason and "none of the folder's images is read" in err.reason
    )


def test_skip_mode_counts_a_link_outside_once_and_reads_nothing_behind_it(tree: Path, outside: Path) -> None:
    (tree / "a/far").symlink_to(outside, target_is_directory=True)
    policy = ErrorPolicy("skip")
    assert _files(tree, policy) == ["top.txt", "a/1.txt", "a/z/3.txt", "b/2.txt"]
    assert policy.counts == {"link_outside_root": 1} and policy.stats["folder_links_outside_root"] == 1
    assert policy.examples[0]["path"] == str(tree / "a/far")


def test_allow_outside_links_follows_it(tree: Path, outside: Path) -> None:
    (tree / "a/far").symlink_to(outside, target_is_directory=True)
    policy = ErrorPolicy("raise")
    assert "a/far/far.txt" in _files(tree, policy, allow_outside_links=True)
    assert policy.skipped == 0 and policy.stats["folder_links_outside_root"] == 1


def test_on_outside_link_receives_the_refusal_instead_of_the_policy(tree: Path, outside: Path) -> None:
    (tree / "a/far").symlink_to(outside, target_is_directory=True)
    noted: list[BadInputError] = []
    policy = ErrorPolicy("raise")
    assert "a/far/far.txt" not in _files(tree, policy, on_outside_link=noted.append)
    assert [e.kind for e in noted] == ["link_outside_root"] and policy.skipped == 0


def test_a_top_linked_outside_is_refused_and_a_missing_top_yields_nothing(tree: Path, outside: Path) -> None:
    (tree / "linked").symlink_to(outside, target_is_directory=True)
    with pytest.raises(BadInputError, match="leads outside the dataset root"):
        _files(tree, ErrorPolicy("raise"), top=tree / "linked")
    assert _files(tree, ErrorPolicy("raise"), top=tree / "absent") == []


def test_pruned_folders_are_not_walked_and_their_links_not_checked(tree: Path, outside: Path) -> None:
    (tree / "far").symlink_to(outside, target_is_directory=True)
    policy = ErrorPolicy("raise")
    seen = []
    for folder, dirs, _names in walk_inside(tree, policy):
        seen.append(folder.relative_to(tree).as_posix())
        dirs[:] = [d for d in dirs if d != "far" and d != "a"]
    assert seen == [".", "b"] and policy.skipped == 0 and not policy.stats


def test_hidden_folders_are_skipped_and_counted(tree: Path) -> None:
    _touch(tree / ".cache/x.txt")
    _touch(tree / "a/__MACOSX/._1.txt")
    _touch(tree / "b/.hidden_file.txt")  # hidden files are the caller's to judge
    policy = ErrorPolicy()
    files = _files(tree, policy)
    assert files == ["top.txt", "a/1.txt", "a/z/3.txt", "b/.hidden_file.txt", "b/2.txt"]
    assert policy.stats["ignored_hidden_folders"] == 2
    assert {".cache/x.txt", "a/__MACOSX/._1.txt"} <= set(_files(tree, ErrorPolicy(), skip_hidden=False))


def test_a_folder_that_cannot_be_listed_is_bad_input(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scandir = os.scandir

    def refuse_b(path):  # chmod 0 does not stop root, who may run the tests
        if Path(path) == tree / "b":
            raise PermissionError(13, "Permission denied", str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refuse_b)
    policy = ErrorPolicy("skip")
    assert _files(tree, policy) == ["top.txt", "a/1.txt", "a/z/3.txt"]
    assert policy.counts == {"unreadable_folder": 1} and "Permission denied" in policy.examples[0]["reason"]
    with pytest.raises(BadInputError, match="cannot list the folder"):
        _files(tree, ErrorPolicy("raise"))


def test_file_inside_refuses_a_file_linked_outside(tree: Path, outside: Path) -> None:
    link = tree / "a/far.txt"
    link.symlink_to(outside / "far.txt")
    policy = ErrorPolicy("skip")
    assert file_inside(tree, tree / "a/1.txt", policy) and not file_inside(tree, link, policy)
    assert policy.counts == {"link_outside_root": 1}
    assert file_inside(tree, link, policy, allow_outside_links=True)
    with pytest.raises(BadInputError, match="leads outside the dataset root"):
        file_inside(tree, link, ErrorPolicy("raise"))
