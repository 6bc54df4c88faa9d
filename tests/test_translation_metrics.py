import subprocess
import sys

import pytest
import sacrebleu

from aihub_bench.metrics import translation
from aihub_bench.metrics.translation import (
    bleu_tokenizer,
    corpus_scores,
    sacrebleu_command,
    single_line,
    write_translations,
)

EN_HYP = [
    "The cat sat on a mat.",
    "Hello there, world!",
    "I went to school yesterday by bus.",
    "It's raining heavily in Seoul today.",
]
EN_REF = [
    "The cat sat on the mat.",
    "Hello, world!",
    "Yesterday I went to school by bus.",
    "It is raining heavily in Seoul today.",
]
KO_HYP = ["나는 어제 버스로 학교에 갔다.", "오늘 서울에 비가 많이 온다.", "고양이가 매트 위에 앉았다."]
KO_REF = [
    "나는 어제 버스를 타고 학교에 갔다.",
    "오늘 서울에는 비가 많이 내린다.",
    "고양이가 매트 위에 앉았어요.",
]


@pytest.fixture
def no_mecab(monkeypatch):
    monkeypatch.setattr(translation, "tokenizer_unavailable_reason", lambda tok: "RuntimeError: no mecab_ko")


@pytest.fixture
def with_mecab(monkeypatch):
    monkeypatch.setattr(translation, "tokenizer_unavailable_reason", lambda tok: None)


def _cli(cmd: list[str]) -> float:
    done = subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8", check=True)
    return float(done.stdout.strip())


def test_english_scores_match_sacrebleu():
    scores = corpus_scores(EN_HYP, EN_REF, "en")
    assert scores["bleu"] == pytest.approx(sacrebleu.corpus_bleu(EN_HYP, [EN_REF]).score)
    assert scores["chrf"] == pytest.approx(sacrebleu.corpus_chrf(EN_HYP, [EN_REF]).score)
    assert 0 < scores["bleu"] < 100
    assert scores["bleu_tokenizer"] == "13a" and scores["tokenizer_note"] is None
    assert scores["n"] == 4
    assert "tok:13a" in scores["bleu_signature"]
    assert f"version:{sacrebleu.__version__}" in scores["bleu_signature"]
    assert f"version:{sacrebleu.__version__}" in scores["chrf_signature"]


def test_english_variants_use_13a():
    for lang in ("en", "EN", "en-US", "en_GB", "eng"):
        assert bleu_tokenizer(lang) == ("13a", None)


def test_korean_falls_back_to_char_without_mecab(no_mecab):
    tok, note = bleu_tokenizer("ko")
    assert tok == "char"
    assert "ko-mecab" in note and "no mecab_ko" in note and "not comparable" in note
    scores = corpus_scores(KO_HYP, KO_REF, "ko-KR")
    assert scores["bleu_tokenizer"] == "char" and scores["tokenizer_note"] == note
    assert "tok:char" in scores["bleu_signature"]
    assert scores["bleu"] == pytest.approx(sacrebleu.corpus_bleu(KO_HYP, [KO_REF], tokenize="char").score)


def test_korean_uses_mecab_when_it_works(with_mecab):
    assert bleu_tokenizer("ko") == ("ko-mecab", None)
    assert bleu_tokenizer("kor") == ("ko-mecab", None)


def test_requested_tokenizer_wins_and_is_validated(no_mecab):
    assert bleu_tokenizer("ko", "13a") == ("13a", None)
    assert bleu_tokenizer("en", "char") == ("char", None)
    with pytest.raises(ValueError, match="unknown sacreBLEU tokenizer"):
        bleu_tokenizer("en", "moses")
    with pytest.raises(ValueError, match="not usable"):
        bleu_tokenizer("ko", "ko-mecab")  # asked for explicitly: no silent fallback


def test_real_probe_reports_a_reason_or_none():
    reason = translation.tokenizer_unavailable_reason("ko-mecab")
    assert reason is None or reason.strip()
    assert translation.tokenizer_unavailable_reason("13a") is None


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="hypotheses"):
        corpus_scores(["a"], ["a", "b"], "en")
    with pytest.raises(ValueError, match="no sentences"):
        corpus_scores([], [], "en")
    with pytest.raises(TypeError):
        corpus_scores("a b", "a b", "en")
    with pytest.raises(ValueError, match="sources"):
        write_translations("/tmp", "test", ["x"], ["a", "b"], ["a", "b"])


def test_single_line():
    assert single_line("a\nb\r\nc\u2028d  \n") == "a b c d"


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_written_files_reproduce_scores_with_the_cli(tmp_path, no_mecab, lang):
    hyps, refs = (EN_HYP, EN_REF) if lang == "en" else (KO_HYP, KO_REF)
    hyps = [*hyps[:-1], hyps[-1].replace(" ", "\n", 1)]  # an embedded newline must not split a line
    srcs = [f"source {i}\nline two" for i in range(len(hyps))]
    scores = corpus_scores(hyps, refs, lang)
    paths = write_translations(tmp_path / "run", "test", srcs, hyps, refs)
    assert {p.name for p in paths.values()} == {"test.src.txt", "test.hyp.txt", "test.ref.txt"}
    for kind, path in paths.items():
        data = path.read_bytes()
        assert data.endswith(b"\n") and b"\r" not in data
        lines = data.decode("utf-8").split("\n")[:-1]
        assert len(lines) == len(hyps), kind
    assert paths["hyp"].read_text(encoding="utf-8").splitlines()[-1] == single_line(hyps[-1])

    tok = scores["bleu_tokenizer"]
    assert tok == ("13a" if lang == "en" else "char")
    bleu_cmd = sacrebleu_command(paths["ref"], paths["hyp"], tok)
    assert bleu_cmd[:3] == [sys.executable, "-m", "sacrebleu"] and "-b" in bleu_cmd
    assert _cli(bleu_cmd) == round(scores["bleu"], 2)
    chrf_cmd = sacrebleu_command(paths["ref"], paths["hyp"], tok, metrics=("chrf",))
    assert _cli(chrf_cmd) == round(scores["chrf"], 2)


def test_sacrebleu_command_validates():
    with pytest.raises(ValueError):
        sacrebleu_command("r", "h", "moses")
    with pytest.raises(ValueError):
        sacrebleu_command("r", "h", "13a", metrics=("meteor",))
    cmd = sacrebleu_command("r.txt", "h.txt", "13a", metrics=("bleu", "chrf"), width=3, python="python")
    assert cmd == ["python", "-m", "sacrebleu", "r.txt", "-i", "h.txt", "-m", "bleu", "chrf"] + [
        "-tok",
        "13a",
        "-w",
        "3",
        "-b",
    ]
