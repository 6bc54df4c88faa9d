"""Korean–English NMT end to end: sacreBLEU reproduced by its CLI, the base-then-domain recipe, splits."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest
import sacrebleu

from aihub_bench.data.seq2seq import TranslationDataModule
from aihub_bench.datasets.nmt_corpus import read_nmt_corpus
from aihub_bench.datasets.registry import ensure_twin
from tests.conftest import reuse_smoke_run, run_config, smoke_run_config

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_news_base_smoke_bleu_is_reproduced_by_the_sacrebleu_cli(tmp_path: Path, synth_cache: Path) -> None:
    """The issue's first done-when, as a user types it."""
    run = tmp_path / "run"
    smoke = ["experiment=nmt_news_base", "debug=smoke"]
    if reuse_smoke_run(smoke, run, synth_cache) is None:
        subprocess.run(
            [sys.executable, "train.py", *smoke, f"hydra.run.dir={run}", f"paths.data_dir={synth_cache}"],
            cwd=REPO,
            check=True,
            capture_output=True,
        )
    metrics = json.loads((run / "metrics.json").read_text())
    assert "tok:13a" in metrics["test/bleu_signature"] and "version:" in metrics["test/bleu_signature"]
    assert metrics["train/loss_decreased"] is True
    command = json.loads((run / "bleu.json").read_text())["reproduce"]
    printed = subprocess.run(shlex.split(command), check=True, capture_output=True, text=True).stdout
    assert float(printed) == pytest.approx(metrics["test/bleu"], abs=0.006)
    hyps = (run / "test.hyp.txt").read_text(encoding="utf-8").splitlines()
    refs = (run / "test.ref.txt").read_text(encoding="utf-8").splitlines()
    assert len(hyps) == len(refs) > 0
    # chrF recomputed from the run's own hypothesis and reference files
    assert sacrebleu.corpus_chrf(hyps, [refs]).score == pytest.approx(metrics["test/chrf"], abs=1e-6)
    sources = (run / "test.src.txt").read_text(encoding="utf-8").splitlines()
    assert len(sources) == len(refs)
    assert (run / "tokenizer" / "tokenizer.json").is_file()


@pytest.mark.slow
def test_domain_finetune_reports_bleu_before_and_after(tmp_path: Path, synth_cache: Path) -> None:
    metrics = smoke_run_config(["experiment=nmt_domain_finetune", "debug=smoke"], tmp_path, synth_cache)
    assert {"test/bleu_before", "test/bleu_after", "test/chrf_before", "test/chrf_after"} <= metrics.keys()
    assert metrics["test/bleu_after"] == metrics["test/bleu"]
    # the same test set before and after: the fine-tuning stage changed the weights it was tested with
    assert metrics["test/loss_after"] != metrics["test/loss_before"]
    base = tmp_path / "base"
    assert (base / "metrics.json").is_file() and list((base / "checkpoints").glob("*.ckpt"))
    # the fine-tuned model keeps the base model's vocabulary
    assert (tmp_path / "tokenizer" / "tokenizer.json").read_text() == (
        base / "tokenizer" / "tokenizer.json"
    ).read_text()
    report = json.loads((tmp_path / "data_report.json").read_text())
    assert set(report["split_pairs"]["test"]) == {"조례"} and report["vocab"]["from"].endswith(".ckpt")
    base_report = json.loads((base / "data_report.json").read_text())
    assert set(base_report["split_pairs"]["train"]) == {"뉴스"}


@pytest.fixture(scope="module")
def corpus(synth_cache: Path) -> Path:
    return ensure_twin("nmt_corpus", synth_cache, scale=0.1)


def _datamodule(root: Path, **kwargs) -> TranslationDataModule:
    dm = TranslationDataModule(partial(read_nmt_corpus), root=str(root), vocab={"size": 300}, **kwargs)
    dm.setup()
    return dm


def test_dialogue_sets_stay_whole_and_test_copies_of_train_pairs_are_removed(corpus: Path) -> None:
    dm = _datamodule(corpus, split={"val_fraction": 0.1, "test_fraction": 0.2, "seed": 0})
    sides: dict[str, set[str]] = {}
    for split, pairs in dm.splits.items():
        for p in pairs:
            if p.domain == "대화체":
                sides.setdefault(p.group, set()).add(split)
    assert sides and all(len(v) == 1 for v in sides.values())
    train = {(p.ko, p.en) for p in dm.splits["train"]}
    assert not any((p.ko, p.en) in train for p in dm.splits["test"] + dm.splits["val"])
    assert {p.domain for p in dm.splits["test"]} == {p.domain for p in dm.splits["train"]}


def test_domain_and_length_filters(corpus: Path) -> None:
    dm = _datamodule(corpus, domain=["ordinance", "한국문화"], max_chars=80)
    domains = {p.domain for split in dm.splits.values() for p in split}
    assert domains == {"조례", "한국문화"}
    assert all(max(len(p.ko), len(p.en)) <= 80 for split in dm.splits.values() for p in split)
    assert dm.policy.stats["filtered_by_length"] > 0


def test_en_ko_direction_swaps_the_sides(corpus: Path) -> None:
    dm = _datamodule(corpus, domain="뉴스", direction="en-ko")
    item = dm.dataset("test")[0]
    assert item["reference"] == dm.splits["test"][0].ko and item["source"] == dm.splits["test"][0].en
    assert dm.target_lang == "ko"


@pytest.mark.slow
def test_a_workbook_without_the_text_headers_is_named(
    tmp_path: Path, synth_cache: Path, corpus: Path
) -> None:
    from openpyxl import Workbook

    root = tmp_path / "corpus"
    shutil.copytree(corpus, root)
    book = Workbook()
    book.active.append(["ID", "Korean", "English"])
    book.active.append([1, "안녕하세요", "Hello"])
    bad = root / "5_문어체_조례.xlsx"
    book.save(bad)
    overrides = ["experiment=nmt_news_base", "debug=smoke", f"dataset.root={root}", "dataset.domain=null"]
    with pytest.raises(ValueError, match=r"5_문어체_조례\.xlsx"):
        run_config(overrides, tmp_path / "strict", synth_cache)
    run_config([*overrides, "dataset.on_error=skip", "train=false"], tmp_path / "lenient", synth_cache)
    report = json.loads((tmp_path / "lenient" / "data_report.json").read_text())
    assert report["skipped_by_kind"] == {"missing_header": 1}
    assert "조례" not in report["split_pairs"]["train"]
