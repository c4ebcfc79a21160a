"""Tailor's engine: the numerics (load a base model, LoRA fine-tune, generate), spoken to over stdio."""

__version__ = "0.1.0"
