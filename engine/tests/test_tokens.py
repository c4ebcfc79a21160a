"""Token counts for the data report: the model's own tokenizer and chat template, one count per example."""

from pathlib import Path

from tailor_engine.data import encode
from tailor_engine.model import Located, load_tokenizer
from tailor_engine.tokens import count_tokens

from .conftest import support_examples, write_jsonl


def test_counts_match_what_training_sees(tiny_model, tmp_path):
    examples = support_examples(5)
    examples[2] = examples[2] + [{"role": "user", "content": "And a follow-up question?"},
                                 {"role": "assistant", "content": "A longer follow-up answer. " * 10}]
    result = count_tokens({"base": {"kind": "hf_dir", "path": tiny_model},
                           "file": write_jsonl(tmp_path / "d.jsonl", examples), "measure_speed": True})
    tok = load_tokenizer(Located(Path(tiny_model)))
    assert result["counts"] == [len(encode(tok, m, 10**9).input_ids) for m in examples]
    assert result["counts"][2] > 2 * result["counts"][0]
    assert result["context_length"] == 2048
    assert result["tokens_per_second"] > 0
