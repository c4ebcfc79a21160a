"""A tokenizer as GGUF metadata (`tokenizer.*`), so that llama.cpp splits text into the same tokens as
Hugging Face does, and the tokens that end a turn, for runtimes' stop settings.

Two ways, as llama.cpp's own converter (convert_hf_to_gguf.py) works:
- the base is itself a GGUF file (SmolLM2 built in): its `tokenizer.ggml.*` metadata is copied as is,
  so the exported file tokenizes exactly as the base did in llama.cpp;
- a Hugging Face byte-level BPE tokenizer: tokens, token types and merges from the tokenizer, and the
  pre-tokenizer named by hashing the tokens of a fixed probe text (`tokenizer.ggml.pre`), the way the
  converter's `get_vocab_base_pre` does. An unknown hash is refused rather than guessed, since a wrong
  pre-tokenizer splits text differently and the model then answers worse in llama.cpp than in Tailor.
The chat template written is always the tuned model's own (the adapter's tokenizer when it has one).
"""

import json
import tempfile
from hashlib import sha256
from pathlib import Path

from .errors import EngineError

# The probe text of llama.cpp's convert_hf_to_gguf_update.py: its token ids, hashed, name the pre-tokenizer.
PROBE = (
    "\n \n\n \n\n\n \t \t\t \t\n  \n   \n    \n     \n🚀 (normal) 😶\u200d🌫️ (multiple emojis concatenated) ✅ 🦙🦙 3 33 333 3333"
    " 33333 333333 3333333 33333333 3.3 3..3 3...3 កាន់តែពិសេសអាច😁 ?我想在apple工作1314151天～ ------======= нещо на"
    " Български ''''''```````\"\"\"\"......!!!!!!?????? I've been 'told he's there, 'RE you sure? 'M not sure I'll"
    " make it, 'D you like some tea? We'Ve a'lL"
)

# Hashes of PROBE's tokens -> llama.cpp's pre-tokenizer name, for byte-level BPE tokenizers that
# Llama-architecture models use (values from llama.cpp's convert_hf_to_gguf.py).
PRE_TOKENIZERS = {
    "855059429035d75a914d1eda9f10a876752e281a054a7a3d421ef0533e5b6249": "smollm",  # SmolLM, SmolLM2
    "0ef9807a4087ebef797fc749390439009c3b9eda9ad1a097abbe738f486c01e5": "llama-bpe",  # Llama 3
    "c136ed14d01c2745d4f60a9596ae66800e2b61fa45643e72436041855ad4089d": "smaug-bpe",
    "3ce83efda5659b07b1ad37ca97ca5797ea4285d9b9ab0dc679e4a720c9da7454": "gpt-2",
    "049ecf7629871e3041641907f3de7c733e4dbfdc736f57d882ba0b0845599754": "deepseek-llm",
    "347715f544604f9118bb75ed199f68779f423cabb20db6de6f31b908d04d7821": "deepseek-coder",
    "9d032fcbd5501f4a38150912590928bfb36091efb5df11b8e2124b0390e3fb1e": "falcon3",
    "63b97e4253352e6f357cc59ea5b583e3a680eaeaf2632188c2b952de2588485e": "tekken",  # Mistral Nemo
    "e636dc30a262dcc0d8c323492e32ae2b70728f4df7dfe9737d9f920a282b8aea": "qwen2",
}

# Tokens that end an assistant's turn in common chat templates (listed when the template uses them).
END_OF_TURN = ("<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>", "<|end_of_turn|>", "<|endofturn|>", "</s>")

# token types as llama.cpp numbers them (gguf.TokenType)
NORMAL, UNUSED, CONTROL, USER_DEFINED = 1, 5, 3, 4


def stop_tokens(tokenizer, eos_ids: list[int]) -> list[str]:
    """The end-of-turn tokens the chat template writes, then the eos token(s)."""
    template = tokenizer.chat_template or ""
    vocab = tokenizer.get_vocab()
    found = [t for t in END_OF_TURN if t in template and t in vocab]
    for i in eos_ids:
        token = tokenizer.convert_ids_to_tokens(i)
        if isinstance(token, str):
            found.append(token)
    if tokenizer.eos_token:
        found.append(tokenizer.eos_token)
    return list(dict.fromkeys(found))


def pre_tokenizer(tokenizer) -> str:
    digest = sha256(str(tokenizer.encode(PROBE)).encode()).hexdigest()
    name = PRE_TOKENIZERS.get(digest)
    if name is None:
        raise EngineError(
            "invalid_request",
            f"the model's tokenizer splits text in a way the GGUF writer does not know (pre-tokenizer hash {digest[:16]}…), "
            "so llama.cpp would tokenize differently from Hugging Face. Export it as peft or merged instead, and convert "
            "the merged folder with llama.cpp's convert_hf_to_gguf.py if that knows it.")
    return name


def _adds(tokenizer, token_id: int | None, first: bool) -> bool:
    if token_id is None:
        return False
    ids = tokenizer("a")["input_ids"]
    return bool(ids) and (ids[0] if first else ids[-1]) == token_id


def add_hf_tokenizer(writer, tokenizer, vocab_size: int) -> None:
    """Writes a Hugging Face byte-level BPE tokenizer (as convert_hf_to_gguf.py's `_set_vocab_gpt2`)."""
    import gguf

    model = json.loads(tokenizer.backend_tokenizer.to_str())["model"] if getattr(tokenizer, "is_fast", False) else {}
    if model.get("type") != "BPE" or model.get("byte_fallback"):
        raise EngineError("invalid_request", "the GGUF writer writes byte-level BPE tokenizers only (as GPT-2, Llama 3 "
                          "and SmolLM use); this model's is another kind. Export it as peft or merged instead.")
    pre = pre_tokenizer(tokenizer)
    vocab = tokenizer.get_vocab()
    if max(vocab.values()) >= vocab_size:
        raise EngineError("model_corrupt", f"the tokenizer has token ids up to {max(vocab.values())} but the model only "
                          f"{vocab_size} embeddings; the model and its tokenizer do not belong together")
    reverse = {i: t for t, i in vocab.items()}
    added = tokenizer.added_tokens_decoder
    tokens: list[str] = []
    types: list[int] = []
    for i in range(vocab_size):
        if i not in reverse:
            tokens.append(f"[PAD{i}]")
            types.append(UNUSED)
            continue
        token = reverse[i]
        if i in added:
            if not added[i].normalized:
                token = tokenizer.decode(tokenizer.encode(token, add_special_tokens=False))
            types.append(CONTROL if added[i].special else USER_DEFINED)
        else:
            types.append(NORMAL)
        tokens.append(token)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(pre)
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    with tempfile.TemporaryDirectory(prefix="tailor-vocab-") as tmp:
        tokenizer.save_pretrained(tmp)
        special = gguf.SpecialVocab(Path(tmp), load_merges=True, n_vocab=vocab_size)
    if not special.merges:
        raise EngineError("model_corrupt", "the tokenizer has no BPE merges; it cannot be written to GGUF")
    special.special_token_ids = {}
    for kind, token_id in (("bos", tokenizer.bos_token_id), ("eos", tokenizer.eos_token_id),
                           ("unk", tokenizer.unk_token_id), ("pad", tokenizer.pad_token_id)):
        if token_id is not None:
            special.special_token_ids[kind] = int(token_id)
    special.add_special_token = {"bos": _adds(tokenizer, tokenizer.bos_token_id, True),
                                 "eos": _adds(tokenizer, tokenizer.eos_token_id, False)}
    special.chat_template = tokenizer.chat_template
    special.add_to_gguf(writer, quiet=True)


def add_gguf_tokenizer(writer, source: Path, tokenizer) -> bool:
    """Copies a GGUF file's `tokenizer.ggml.*` metadata (not its chat template: the tuned model's own is
    written). False when the tokenizer no longer matches the file's token list (tokens were added)."""
    from gguf import GGUFReader, GGUFValueType

    reader = GGUFReader(source)
    tokens = reader.fields.get("tokenizer.ggml.tokens")
    model = reader.fields.get("tokenizer.ggml.model")
    if tokens is None or model is None or model.contents() != "gpt2" or len(tokens.data) != len(tokenizer):
        return False
    for key, field in reader.fields.items():
        if not key.startswith("tokenizer.ggml."):
            continue
        kind = field.types[0]
        sub = field.types[1] if kind == GGUFValueType.ARRAY and len(field.types) > 1 else None
        writer.add_key_value(key, field.contents(), kind, sub)
    if tokenizer.chat_template:
        writer.add_chat_template(tokenizer.chat_template)
    return True
