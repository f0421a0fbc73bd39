"""Labels typed at run time for a video-language model: read them (`--labels "a, b"`, `--labels-file F`), check
them, write each into the prompt template and set them on the model (its text tower encodes them once per run)."""

from __future__ import annotations

from pathlib import Path

from ..errors import TubeletError


class LabelError(TubeletError):
    """Labels or a prompt template a video-language model cannot use; one line."""


def read_labels(labels: str | None = None, labels_file: str | None = None) -> list[str] | None:
    """`"a, b, c"` or a file with one label per line (blank lines skipped) -> the labels; None if neither given."""
    if labels is not None and labels_file is not None:
        raise LabelError("give --labels or --labels-file, not both")
    if labels_file is not None:
        try:
            text = Path(labels_file).read_bytes().decode("utf-8")
        except FileNotFoundError:
            raise LabelError(f"labels file not found: {labels_file}") from None
        except IsADirectoryError:
            raise LabelError(f"labels file is a folder: {labels_file}") from None
        except UnicodeDecodeError as e:
            raise LabelError(f"labels file {labels_file} is not UTF-8 text (byte {e.start})") from None
        found = [line.strip() for line in text.lstrip("\ufeff").splitlines()]
    elif labels is not None:
        found = [part.strip() for part in labels.split(",")]
    else:
        return None
    found = [label for label in found if label]
    if not found:
        raise LabelError('no labels given: --labels "a dog, a cat" or a file with one label per line')
    seen, repeated = set(), []
    for label in found:
        key = " ".join(label.lower().split())
        if key in seen:
            repeated.append(label)
        seen.add(key)
    if repeated:
        raise LabelError(f"labels given twice: {', '.join(dict.fromkeys(repeated))}")
    return found


def check_template(template: str) -> str:
    if template.count("{}") != 1 or template.replace("{}", "").count("{") or template.replace("{}", "").count("}"):
        raise LabelError(f"--prompt-template needs exactly one {{}} where the label goes, got {template!r}")
    return template


def set_run_labels(model, labels: list[str] | None, template: str = "{}", name: str = "the model"):
    """Give a video-language model its labels for this run; refuse labels for a classifier, and a video-language
    model without labels."""
    is_text_model = hasattr(model, "set_labels")
    if labels is None:
        if is_text_model:
            raise LabelError(
                f'{name} is a video-language model: give the labels to score with --labels "a, b" or --labels-file'
            )
        return model
    if not is_text_model:
        n = getattr(model.config, "num_labels", 0)
        raise LabelError(f"--labels needs a video-language model (a CLIP folder); {name} is a classifier with {n} "
                         "labels of its own")  # fmt: skip
    if model.tokenizer is None:
        raise LabelError(f"{name} has no tokenizer files (tokenizer.json, or vocab.json and merges.txt)")
    model.set_labels(labels, check_template(template))
    return model
