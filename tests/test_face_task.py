"""The face task keeps its train identities and head size in the checkpoint: a later evaluation on
another split loads whatever the head size, and refuses identities the model was trained on."""

from __future__ import annotations

from functools import partial

import pytest
import torch

from aihub_bench.models.face import face_embedder
from aihub_bench.tasks.face import FaceRecognitionTask


def _task(train_identities: list[str]) -> FaceRecognitionTask:
    return FaceRecognitionTask(
        net=partial(face_embedder, backbone="small", embedding_dim=16),
        optimizer=partial(torch.optim.SGD, lr=0.1),
        num_identities=len(train_identities),
        train_identities=train_identities,
    )


def test_checkpoint_restores_train_identities_and_head_of_another_size() -> None:
    trained = _task(["00000001", "00000002", "00000003"])
    checkpoint = {"state_dict": trained.state_dict()}
    trained.on_save_checkpoint(checkpoint)
    # evaluation composes another split: 5 train identities, none of the trained ones
    evaluating = _task(["00000004", "00000005", "00000006", "00000007", "00000008"])
    evaluating.on_load_checkpoint(checkpoint)
    evaluating.load_state_dict(checkpoint["state_dict"])
    assert evaluating.head.weight.shape == (3, 16)
    assert evaluating.train_identities == ["00000001", "00000002", "00000003"]
    images = torch.randn(2, 3, 32, 32)
    trained.eval(), evaluating.eval()
    torch.testing.assert_close(evaluating.embed(images), trained.embed(images))


def test_evaluating_on_a_trained_identity_is_refused_naming_it() -> None:
    task = _task(["00000001", "00000002"])
    task.check_unseen(["00000003", "00000004"], "test")
    with pytest.raises(ValueError, match=r"1 identities this model was trained on \(e\.g\. 00000002\)"):
        task.check_unseen(["00000002", "00000003"], "test")


def test_an_unknown_head_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="model.head.kind='sphereface'"):
        FaceRecognitionTask(
            net=partial(face_embedder, backbone="small", embedding_dim=16),
            optimizer=partial(torch.optim.SGD, lr=0.1),
            num_identities=3,
            head={"kind": "sphereface"},
        )
