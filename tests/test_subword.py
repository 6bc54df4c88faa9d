import json
import string

import pytest

from aihub_bench.data.subword import (
    SPECIAL_TOKENS,
    SubwordVocab,
    TranslationTokenizers,
    train_vocab,
)

KO = [
    "나는 어제 버스를 타고 학교에 갔다.",
    "오늘 서울에는 비가 많이 내린다.",
    "고양이가 매트 위에 앉아 있어요.",
    "우리는 내일 도서관에서 공부할 거예요.",
    "이 책은 한국 역사에 관한 책입니다.",
    "저녁으로 김치찌개를 먹었습니다.",
    "회의는 오후 세 시에 시작합니다.",
    "주말에 가족과 함께 바다에 갔어요.",
]
EN = [
    "Yesterday I went to school by bus.",
    "It is raining heavily in Seoul today.",
    "The cat is sitting on the mat.",
    "We will study at the library tomorrow.",
    "This book is about Korean history.",
    "I had kimchi stew for dinner.",
    "The meeting starts at three in the afternoon.",
    "I went to the sea with my family on the weekend.",
]


def _norm(s: str) -> str:
    return " ".join(s.split())


@pytest.fixture(scope="module", params=["bpe", "unigram"])
def joint_vocab(request) -> SubwordVocab:
    return train_vocab(KO + EN, vocab_size=300, model=request.param)


def test_special_ids_are_fixed(joint_vocab):
    v = joint_vocab
    assert (v.pad_id, v.bos_id, v.eos_id, v.unk_id) == (0, 1, 2, 3)
    assert [v.tokenizer.id_to_token(i) for i in range(4)] == list(SPECIAL_TOKENS)
    assert v.encode(KO[0])[0] not in range(4)  # no <s> added by encode


@pytest.mark.parametrize("text", [*KO, *EN, "  학교에   갔다 \n the   library  "])
def test_round_trip(joint_vocab, text):
    ids = joint_vocab.encode(text)
    assert joint_vocab.unk_id not in ids
    assert joint_vocab.decode(ids) == _norm(text)


def test_batch_matches_single(joint_vocab):
    assert joint_vocab.encode_batch(KO[:3]) == [joint_vocab.encode(t) for t in KO[:3]]


def test_vocab_size_is_an_upper_bound():
    for size in (20, 60, 300, 5000):
        assert train_vocab(KO + EN, size).vocab_size <= size
    # alphabet bigger than the budget: the rarest characters become <unk>, nothing crashes
    small = train_vocab(KO + EN, 20)
    assert small.unk_id in small.encode(KO[0])


def test_unigram_too_small_for_the_alphabet_is_a_clear_error():
    with pytest.raises(ValueError, match="distinct characters"):
        train_vocab(KO, 20, model="unigram")


def test_unknown_characters_map_to_unk(joint_vocab):
    ids = joint_vocab.encode("학교 ✈ 😀 zq")
    assert ids.count(joint_vocab.unk_id) >= 2
    assert "✈" not in joint_vocab.decode(ids)  # specials, <unk> included, are dropped
    assert joint_vocab.encode("") == [] and joint_vocab.decode([]) == ""


def test_special_token_text_is_not_a_special_id():
    # BPE only: a Unigram lattice can still pick the "</s>" piece (see the module docstring).
    vocab = train_vocab(KO + EN + ["a <b> c/d"], vocab_size=300, model="bpe")
    ids = vocab.encode("학교 </s> <s>")
    assert vocab.eos_id not in ids and vocab.bos_id not in ids
    assert vocab.decode(ids) == "학교 </s> <s>"


@pytest.mark.parametrize("model", ["bpe", "unigram"])
def test_only_training_text_is_used(model):
    vocab = train_vocab(EN * 3, vocab_size=400, model=model)
    pieces = vocab.tokenizer.get_vocab()
    if model == "bpe":
        assert "▁library" in pieces  # a training word becomes one piece
    test_only = "▁zebra"  # a word only in the 'test' list
    assert test_only not in pieces
    ids = vocab.encode("zebra")
    assert len(ids) > 1 or vocab.unk_id in ids


def test_bpe_training_is_deterministic():
    # Many equally frequent characters and a budget smaller than the alphabet: HF's own
    # limit_alphabet would break those ties differently from run to run.
    letters = string.ascii_lowercase + string.ascii_uppercase
    texts = [" ".join(letters[i:] + letters[:i] for _ in range(2)) for i in range(len(letters))]
    texts += KO + EN
    runs = {train_vocab(texts, vocab_size=40).to_json() for _ in range(4)}
    assert len(runs) == 1
    assert len({train_vocab(KO + EN, vocab_size=300).to_json() for _ in range(3)}) == 1


def test_bad_arguments():
    with pytest.raises(ValueError):
        train_vocab(EN, 4)
    with pytest.raises(ValueError):
        train_vocab(EN, 100, model="wordpiece")
    with pytest.raises(ValueError):
        train_vocab(["", "  "], 100)


def test_vocab_json_and_file_round_trip(joint_vocab, tmp_path):
    again = SubwordVocab.from_json(joint_vocab.to_json())
    assert again.model == joint_vocab.model and again.encode(KO[1]) == joint_vocab.encode(KO[1])
    if joint_vocab.model == "bpe":  # HF's Unigram serialises its hash maps in no fixed order
        assert again == joint_vocab
    joint_vocab.save(tmp_path / "v.json")
    loaded = SubwordVocab.load(tmp_path / "v.json")
    assert loaded.encode(KO[1]) == joint_vocab.encode(KO[1])
    assert loaded.tokenizer.encode_special_tokens  # the setting is not in the JSON; it is restored


def test_from_json_rejects_wrong_special_ids():
    vocab = train_vocab(EN, 100)
    data = json.loads(vocab.to_json())
    data["added_tokens"][0]["id"], data["added_tokens"][1]["id"] = 1, 0
    data["model"]["vocab"]["<pad>"], data["model"]["vocab"]["<s>"] = 1, 0
    with pytest.raises(ValueError, match="special token"):
        SubwordVocab.from_json(json.dumps(data))


@pytest.mark.parametrize("joint", [True, False])
def test_translation_tokenizers_round_trips(tmp_path, joint):
    tt = TranslationTokenizers.train(KO, EN, vocab_size=200, joint=joint)
    assert tt.joint is joint and tt.model == "bpe" and tt.vocab_size == 200
    assert (tt.source is tt.target) is joint
    if not joint:
        assert "▁library" not in tt.source.tokenizer.get_vocab()  # English stays out of the Korean side
        assert "▁library" in tt.target.tokenizer.get_vocab()

    paths = tt.save(tmp_path)
    names = sorted(p.name for p in tmp_path.iterdir())
    expected = ["tokenizer.json"] if joint else ["tokenizer_source.json", "tokenizer_target.json"]
    assert names == sorted([*expected, "tokenizer_config.json"])
    config = json.loads(paths["config"].read_text(encoding="utf-8"))
    assert {k: config[k] for k in ("joint", "model", "vocab_size")} == {
        "joint": joint,
        "model": "bpe",
        "vocab_size": 200,
    }

    for other in (TranslationTokenizers.load(tmp_path), TranslationTokenizers.from_dict(tt.to_dict())):
        assert other.joint is joint and other.vocab_size == 200
        assert other.source == tt.source and other.target == tt.target
        assert other.source.encode(KO[0]) == tt.source.encode(KO[0])
        assert other.target.decode(other.target.encode(EN[0])) == EN[0]
    json.dumps(tt.to_dict())  # plain JSON for checkpoints


def test_translation_tokenizers_unigram():
    tt = TranslationTokenizers.train(KO, EN, vocab_size=300, joint=True, model="unigram")
    assert tt.model == "unigram"
    assert TranslationTokenizers.from_dict(tt.to_dict()).source == tt.source
