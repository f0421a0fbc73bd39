"""CLIP's tokenizer on the `tokenizers` library, from a checkpoint folder's own files.

A folder holds `tokenizer.json` (the whole pipeline, used as it is) and / or `vocab.json` + `merges.txt` (the
byte-pair vocabulary; the pipeline around it is CLIP's, built here): Unicode NFC, runs of white space to one
space, lower case; split into words, numbers (one digit each) and punctuation runs, with the English clitics
('s, 't, 're, 've, 'm, 'll, 'd) apart; bytes to printable characters (GPT-2's byte-level map); byte-pair merges
with `</w>` marking a word's end. The ids equal transformers' `CLIPTokenizer` on the same files (tested on hard
strings). Each sentence is `<|startoftext|> ... <|endoftext|>`, cut to the text tower's context (with a
warning naming how many sentences were cut) and padded to the batch's longest with the pad id; the text tower
reads a sentence at its end-of-text token and attends causally, so padding changes nothing.
"""

from __future__ import annotations

import json
import tempfile
import warnings
from pathlib import Path

import torch

from ..checkpoints.files import CheckpointError

BOS, EOS = "<|startoftext|>", "<|endoftext|>"
END_OF_WORD = "</w>"  # marks a word's last symbol in CLIP's byte-pair vocabulary
WORDS = r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""
FILES = ("tokenizer.json", "vocab.json", "merges.txt")


class TextTruncatedWarning(UserWarning):
    """Sentences longer than the text tower's context were cut."""


def clip_pipeline(vocab: dict[str, int], merges: list[tuple[str, str]]):
    """A `tokenizers.Tokenizer` doing what CLIP's tokenizer does, around a byte-pair vocabulary."""
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers
    from tokenizers.models import BPE

    bpe = BPE(
        vocab, merges, continuing_subword_prefix="", end_of_word_suffix=END_OF_WORD, fuse_unk=False, unk_token=EOS
    )
    tok = Tokenizer(bpe)
    tok.normalizer = normalizers.Sequence(
        [normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "), normalizers.Lowercase()]
    )
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(WORDS), behavior="removed", invert=True),  # keep the matches, drop the rest
            pre_tokenizers.ByteLevel(add_prefix_space=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([t for t in (BOS, EOS) if t in vocab])  # typed in a sentence, they stay one token
    return tok


class ClipTokenizer:
    def __init__(self, tokenizer, context_length: int, pad_token: str = EOS):
        self.tokenizer, self.context_length = tokenizer, context_length
        ids = {t: tokenizer.token_to_id(t) for t in (BOS, EOS, pad_token)}
        missing = [t for t, i in ids.items() if i is None]
        if missing:
            raise CheckpointError(f"the tokenizer's vocabulary lacks {', '.join(missing)}")
        self.bos_id, self.eos_id, self.pad_id = ids[BOS], ids[EOS], ids[pad_token]
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()

    @classmethod
    def from_folder(cls, folder: str | Path, context_length: int) -> "ClipTokenizer":
        from tokenizers import Tokenizer
        from tokenizers.models import BPE

        folder = Path(folder)
        pad = _special_tokens(folder).get("pad_token", EOS)
        try:
            if (folder / "tokenizer.json").exists():
                return cls(Tokenizer.from_file(str(folder / "tokenizer.json")), context_length, pad)
            if (folder / "vocab.json").exists() and (folder / "merges.txt").exists():
                vocab, merges = BPE.read_file(str(folder / "vocab.json"), str(folder / "merges.txt"))
                return cls(clip_pipeline(vocab, merges), context_length, pad)
        except Exception as e:  # a damaged file: one line
            if isinstance(e, CheckpointError):
                raise
            raise CheckpointError(f"cannot read the tokenizer in {folder}: {str(e).splitlines()[0][:200]}") from None
        raise CheckpointError(f"{folder} has no tokenizer (tokenizer.json, or vocab.json and merges.txt)")

    def __call__(self, texts: list[str]) -> torch.Tensor:
        """Sentences -> (N, L) token ids, L = the longest sentence's length (at most the context)."""
        if isinstance(texts, str):
            raise TypeError("give a list of sentences, not one string")
        room = self.context_length - 2
        rows, cut = [], 0
        for enc in self.tokenizer.encode_batch(list(texts), add_special_tokens=False):
            ids = enc.ids
            if len(ids) > room:
                ids, cut = ids[:room], cut + 1
            rows.append([self.bos_id, *ids, self.eos_id])
        if cut:
            warnings.warn(
                f"{cut} of {len(rows)} texts were longer than the model's {self.context_length} tokens and were cut",
                TextTruncatedWarning,
                stacklevel=2,
            )
        width = max((len(r) for r in rows), default=2)
        out = torch.full((len(rows), width), self.pad_id, dtype=torch.long)
        for i, r in enumerate(rows):
            out[i, : len(r)] = torch.tensor(r)
        return out

    def batches(self, texts: list[str], batch_size: int):
        """Token ids of `texts`, `batch_size` sentences at a time (each batch padded to its own longest)."""
        for start in range(0, len(texts), batch_size):
            yield self(texts[start : start + batch_size])

    def save(self, folder: str | Path) -> None:
        """vocab.json + merges.txt (+ the special tokens), the files transformers' CLIPTokenizer reads."""
        folder = Path(folder)
        self.tokenizer.model.save(str(folder))
        pad = self.tokenizer.id_to_token(self.pad_id)
        special = {"bos_token": BOS, "eos_token": EOS, "unk_token": EOS, "pad_token": pad}
        (folder / "special_tokens_map.json").write_text(json.dumps(special, indent=2) + "\n")
        config = {"tokenizer_class": "CLIPTokenizer", "model_max_length": self.context_length, **special}
        (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")


def _special_tokens(folder: Path) -> dict[str, str]:
    """The special tokens a folder names (tokenizer_config.json, special_tokens_map.json), as plain strings."""
    out = {}
    for name in ("special_tokens_map.json", "tokenizer_config.json"):
        path = folder / name
        if path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise CheckpointError(f"{path} is not valid JSON") from None
            for key, value in data.items():
                if key.endswith("_token") and value:
                    out.setdefault(key, value["content"] if isinstance(value, dict) else str(value))
    return out


def train_clip_tokenizer(texts, vocab_size: int, context_length: int = 77) -> ClipTokenizer:
    """A CLIP tokenizer whose byte-pair vocabulary is learned from `texts` (for models trained here): the same
    pipeline, the 256 byte symbols always in the vocabulary, the two special tokens first."""
    from tokenizers import pre_tokenizers
    from tokenizers.models import BPE
    from tokenizers.trainers import BpeTrainer

    tok = clip_pipeline({BOS: 0, EOS: 1}, [])
    trainer = BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[BOS, EOS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        end_of_word_suffix=END_OF_WORD,
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer)
    with tempfile.TemporaryDirectory() as tmp:  # the trained merges, read back in the order they were learned
        vocab, merges = BPE.read_file(*tok.model.save(tmp))
    # every byte also as a word's last symbol (`x</w>`), as in CLIP's own vocabulary: a digit or a letter never
    # seen at a word's end in training still has a token instead of the unknown one
    for symbol in pre_tokenizers.ByteLevel.alphabet():
        vocab.setdefault(symbol + END_OF_WORD, len(vocab))
    return ClipTokenizer(clip_pipeline(vocab, merges), context_length)
