"""Names and numbers that more than one layer of tubelet uses, kept in one place.

This module imports nothing, so the command line can offer its choices (`--scheme`, `--format`, ...) without
loading torch, and no two files can drift apart on a spelling.
"""

VERSION = "0.1.0"

# --- model architecture (modeling/config.py validates against these; the CLI offers them) -------------------
SCHEMES = ("joint", "divided", "space_only", "factorized")
POS_EMBEDS = ("sincos", "learned", "learned_space_time")
POOLINGS = ("cls", "mean")
STEMS = ("linear", "conv")
# MLP activations: tubelet/modeling/activations.py (transformers' names; gelu_tanh = PyTorch's tanh approximation)
ACTIVATIONS = (
    "gelu",
    "gelu_tanh",
    "gelu_pytorch_tanh",
    "gelu_python",
    "gelu_python_tanh",
    "gelu_new",
    "gelu_accurate",
    "gelu_fast",
    "gelu_10",
    "quick_gelu",
    "relu",
    "relu2",
    "relu6",
    "leaky_relu",
    "silu",
    "swish",
    "mish",
    "hardswish",
    "sigmoid",
    "tanh",
    "laplace",
    "sqrtsoftplus",
    "linear",
)
ATTENTION_IMPLS = ("sdpa", "explicit")
MASKINGS = ("tube", "random", "frame")  # VideoMAE: which tokens a mask hides (modeling/masking.py)

# --- synthetic data (`tubelet synth`; synth/__init__.py maps each name to its module) -----------------------
MAE_TASKS = ("moving-shapes", "moving-shapes-pan", "moving-shapes-start-stop", "moving-shapes-brief")  # VideoMAE
SYNTH_TASKS = ("camera-motion", "temporal-order", *MAE_TASKS)

# --- pixels -------------------------------------------------------------------------------------------------
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# --- keys tubelet adds to a checkpoint's preprocessor_config.json -------------------------------------------
WINDOW_SECONDS_KEY = "tubelet_window_seconds"  # the window `tag` uses by default (a model trained on short clips)
TEST_VIEWS_KEY = "tubelet_test_views"  # label symmetries to average over at inference (video/symmetry.py)

# --- tagging ------------------------------------------------------------------------------------------------
OUTPUT_FORMATS = ("table", "json", "jsonl", "csv", "srt", "vtt", "html")
PRECISIONS = ("fp32", "bf16", "int8", "compile")
