"""Multi-view binary classifier: a shared timm backbone per view, a view head and a case head.

Each view (one mammogram of a patient, one fundus photo) goes through the same backbone; the view
head scores it alone (image-level results) and the case head scores the patient from the views'
pooled features (max and mean over the views present), so a finding seen in any view counts.
"""

from __future__ import annotations

import torch
from torch import nn

from aihub_bench.models.timm_backbone import create_timm_model


class MultiViewClassifier(nn.Module):
    """``forward(images (B, V, 3, H, W), view_mask (B, V))`` -> ``(case_logits (B,), view_logits (B, V))``."""

    def __init__(self, backbone: nn.Module, num_features: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.backbone = backbone
        self.dropout = nn.Dropout(dropout)
        self.view_head = nn.Linear(num_features, 1)
        self.case_head = nn.Linear(2 * num_features, 1)

    def forward(self, images: torch.Tensor, view_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if images.ndim != 5:
            raise ValueError(f"expected images of shape (B, V, 3, H, W), got {tuple(images.shape)}")
        batch, views = images.shape[:2]
        present = view_mask.flatten()
        features = images.new_zeros(batch * views, self.view_head.in_features)
        # missing views never reach the backbone (BatchNorm statistics stay clean)
        features[present] = self.backbone(images.flatten(0, 1)[present])
        features = self.dropout(features).view(batch, views, -1)
        view_logits = self.view_head(features).squeeze(-1)
        mask = view_mask.unsqueeze(-1)
        pooled_max = features.masked_fill(~mask, float("-inf")).amax(dim=1)
        pooled_mean = (features * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1)
        case_logits = self.case_head(torch.cat([pooled_max, pooled_mean], dim=-1)).squeeze(-1)
        return case_logits, view_logits.masked_fill(~view_mask, 0.0)


def build_classifier(
    backbone: str = "resnet18", pretrained: bool = False, dropout: float = 0.0, drop_path_rate: float = 0.0
) -> MultiViewClassifier:
    """A :class:`MultiViewClassifier` on any timm backbone (``small`` = :data:`SMALL_BACKBONE`).

    ``pretrained=true`` downloads ImageNet weights through timm / Hugging Face Hub once; offline it
    fails with a message saying how to turn it off.
    """
    kwargs = {"drop_path_rate": drop_path_rate} if drop_path_rate else {}
    net = create_timm_model(backbone, pretrained, num_classes=0, **kwargs)
    num_features = net.num_features  # every timm model sets it (nn.Module does not declare it)
    assert isinstance(num_features, int)
    return MultiViewClassifier(net, num_features, dropout)
