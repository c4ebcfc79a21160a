"""Builds a fast tokenizer from a GGUF file's own metadata (tokens, merges, special ids, template).

transformers converts most GGUF tokenizers itself; this is the fallback for those it cannot, so that a
real GGUF model is never given up on for want of a tokenizer.
"""

from pathlib import Path

from .errors import EngineError


def _field(reader, key: str):
    field = reader.fields.get(key)
    if field is None:
        return None
    parts = [field.parts[i] for i in field.data]
    if field.types and field.types[0].name == "ARRAY":
        if len(field.types) > 1 and field.types[1].name == "STRING":
            return [bytes(p).decode("utf-8") for p in parts]
        return [p.tolist()[0] for p in parts]
    if field.types and field.types[0].name == "STRING":
        return bytes(parts[0]).decode("utf-8")
    return parts[0].tolist()[0]


def tokenizer_from_gguf(path: Path):
    from gguf import GGUFReader
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    reader = GGUFReader(path)
    kind = _field(reader, "tokenizer.ggml.model")
    if kind != "gpt2":
        raise EngineError("model_corrupt", f"{path}: cannot build a {kind!r} tokenizer from GGUF metadata (only byte-level BPE)")
    tokens: list[str] = _field(reader, "tokenizer.ggml.tokens")
    merges: list[str] = _field(reader, "tokenizer.ggml.merges") or []
    vocab = {t: i for i, t in enumerate(tokens)}
    bpe = models.BPE(vocab=vocab, merges=[tuple(m.split(" ", 1)) for m in merges], fuse_unk=False)
    tok = Tokenizer(bpe)
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    types = _field(reader, "tokenizer.ggml.token_type") or []
    specials = [t for t, ty in zip(tokens, types) if ty == 3]  # 3 = CONTROL
    tok.add_special_tokens(specials)

    def special(key: str) -> str | None:
        idx = _field(reader, f"tokenizer.ggml.{key}_token_id")
        return tokens[idx] if idx is not None and 0 <= idx < len(tokens) else None

    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token=special("bos"), eos_token=special("eos"),
        unk_token=special("unknown"), pad_token=special("padding"),
    )
    template = _field(reader, "tokenizer.chat_template")
    if template:
        fast.chat_template = template
    return fast
