"""Transformer encoder-decoder for translation, built from a config (no hub download).

Marian's architecture from ``transformers`` (post-norm Transformer with sinusoidal positions, as in
Vaswani et al.), sized by name; the vocabularies come from the subword tokenizers trained on the run's
own training split. A joint vocabulary shares the encoder and decoder embeddings.
"""

from __future__ import annotations

from typing import Any

from transformers import MarianConfig, MarianMTModel

# d_model, layers (encoder = decoder), attention heads, feed-forward width
SIZES: dict[str, tuple[int, int, int, int]] = {
    "tiny": (64, 2, 4, 128),  # smoke runs and tests
    "small": (256, 3, 4, 1024),  # CPU runs on the synthetic twin
    "base": (512, 6, 8, 2048),  # Transformer-base, the real corpus on a GPU
}


def build_transformer(
    source_vocab_size: int,
    target_vocab_size: int,
    pad_id: int,
    bos_id: int,
    eos_id: int,
    joint_vocab: bool,
    backbone: str = "small",
    pretrained: bool = False,
    dropout: float = 0.1,
    max_positions: int = 256,
    **overrides: Any,
) -> MarianMTModel:
    """A randomly initialised Marian model of size ``backbone`` (``tiny``, ``small``, ``base``);
    ``overrides`` go to :class:`~transformers.MarianConfig` (e.g. ``encoder_layers=4``)."""
    if pretrained:
        raise ValueError(
            "model.net.pretrained=true: the Transformer baseline is trained from scratch on the corpus "
            "(its vocabulary is the run's own); set model.net.pretrained=false"
        )
    if backbone not in SIZES:
        raise ValueError(f"model.net.backbone must be one of {sorted(SIZES)}, got {backbone!r}")
    if joint_vocab and source_vocab_size != target_vocab_size:
        raise ValueError("a joint vocabulary has one size for both sides")
    d_model, layers, heads, ffn = SIZES[backbone]
    config = MarianConfig(
        vocab_size=source_vocab_size,
        decoder_vocab_size=target_vocab_size,
        share_encoder_decoder_embeddings=joint_vocab,
        d_model=d_model,
        encoder_layers=layers,
        decoder_layers=layers,
        encoder_attention_heads=heads,
        decoder_attention_heads=heads,
        encoder_ffn_dim=ffn,
        decoder_ffn_dim=ffn,
        dropout=dropout,
        attention_dropout=dropout,
        max_position_embeddings=max_positions,
        pad_token_id=pad_id,
        bos_token_id=bos_id,
        eos_token_id=eos_id,
        decoder_start_token_id=bos_id,
        forced_eos_token_id=eos_id,
        scale_embedding=True,
        **overrides,
    )
    return MarianMTModel(config)
