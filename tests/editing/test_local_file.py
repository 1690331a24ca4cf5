"""Saving a survey file: atomic replace, previous version kept as .bak, drafts kept on disk."""

import json
import os

import pytest

from qtui.core import edits
from qtui.editing.drafts import DraftBox
from qtui.editing.local import SurveyFile


def test_save_replaces_the_file_whole_and_keeps_the_previous_one(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"id": "s1", "name": "old", "pages": []}))
    file = SurveyFile(path)
    file.save({"id": "s1", "name": "new", "pages": []})
    assert json.loads(path.read_text())["name"] == "new"
    assert json.loads(file.backup_path.read_text())["name"] == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.json", "s.json.bak"]


def test_save_keeps_the_files_mode_and_a_new_file_follows_the_umask(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"id": "s1", "pages": []}))
    path.chmod(0o640)
    SurveyFile(path).save({"id": "s1", "name": "new", "pages": []})
    assert path.stat().st_mode & 0o777 == 0o640

    fresh = tmp_path / "new.json"
    old = os.umask(0o022)
    try:
        SurveyFile(fresh).save({"id": "s2", "pages": []})
    finally:
        os.umask(old)
    assert fresh.stat().st_mode & 0o777 == 0o644


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"id": "s1", "name": "old"}))

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        SurveyFile(path).save({"id": "s1", "name": "new"})
    assert json.loads(path.read_text())["name"] == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.json", "s.json.bak"]


def test_load_refuses_what_is_not_a_survey_with_a_reason(tmp_path):
    path = tmp_path / "x.json"
    path.write_text("[1, 2]")
    with pytest.raises(ValueError, match="does not hold a survey"):
        SurveyFile(path).load()
    path.write_text(json.dumps({"survey": {"id": "s1", "pages": []}}))
    assert SurveyFile(path).load()["id"] == "s1"


def test_drafts_survive_and_are_read_back_in_order(tmp_path):
    box = DraftBox("survey/1", tmp_path)
    first = edits.update("variable", {"id": "v", "name": "a"}, {"id": "v", "name": "b"})
    second = edits.create("page", "survey/1", {"name": "End"})
    box.add(first, "network down")
    box.add(second, "network down")
    assert DraftBox("survey/1", tmp_path).list() == [first, second]
    box.replace([second])
    assert box.list() == [second]
    box.replace([])
    assert len(box) == 0
