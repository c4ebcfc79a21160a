"""Chat template rendering and the loss mask: only assistant tokens (with weight != 0) are learned."""

from pathlib import Path

from tailor_engine.data import IGNORE, collate, encode
from tailor_engine.model import Located, load_tokenizer


def learned_text(tok, enc) -> str:
    return tok.decode([i for i, label in zip(enc.input_ids, enc.labels) if label != IGNORE])


def test_only_assistant_tokens_are_learned(tiny_model):
    tok = load_tokenizer(Located(Path(tiny_model)))
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Hello there!"}, {"role": "user", "content": "Bye"},
                {"role": "assistant", "content": "Goodbye, ünïcode ✓"}]
    enc = encode(tok, messages, 512)
    assert learned_text(tok, enc) == "Hello there!<|im_end|>\nGoodbye, ünïcode ✓<|im_end|>\n"
    assert "Be brief" in tok.decode(enc.input_ids) and not enc.truncated


def test_weight_zero_excludes_an_assistant_message(tiny_model):
    tok = load_tokenizer(Located(Path(tiny_model)))
    messages = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Wrong answer", "weight": 0},
                {"role": "user", "content": "Again"}, {"role": "assistant", "content": "Right answer"}]
    assert learned_text(tok, encode(tok, messages, 512)) == "Right answer<|im_end|>\n"


def test_truncation_and_padding(tiny_model):
    tok = load_tokenizer(Located(Path(tiny_model)))
    long = encode(tok, [{"role": "user", "content": "word " * 200}, {"role": "assistant", "content": "ok"}], 32)
    short = encode(tok, [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "ok"}], 32)
    assert long.truncated and len(long.input_ids) == 32
    batch = collate([long, short], pad_id=tok.pad_token_id)
    assert batch["input_ids"].shape == (2, 32)
    assert int(batch["attention_mask"][1].sum()) == len(short.input_ids)
    assert (batch["labels"][1, len(short.input_ids):] == IGNORE).all()
