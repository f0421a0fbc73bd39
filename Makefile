# Two commands for a fresh machine:  make demo   and   make test
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.tubelet-installed

.PHONY: install demo lint test test-all test-compat bench default-model video-text-model experiments clean

# torch first, pinned to the CPU build (a bare "torch" requirement would pull a multi-GB CUDA build)
$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# the main job on the bundled default model: a clip whose camera moves are known, tagged into a timeline
demo: $(STAMP)
	mkdir -p out
	$(VENV)/bin/tubelet demo-clip out/demo.mp4
	$(VENV)/bin/tubelet tag out/demo.mp4
	$(VENV)/bin/tubelet tag out/demo.mp4 --format html -o out/demo.html --plot out/demo.png -q
	@echo "open out/demo.html to watch the clip with its timeline"

# retrain the bundled camera-motion model (about 1.5 hours on 2 CPU cores)
default-model: $(STAMP)
	bash scripts/train_default_model.sh

# the bundled video-language model (tubelet/models/video-text/, docs/video-text-model/): about an hour on 2 cores
video-text-model: $(STAMP)
	bash scripts/make_video_text_model.sh

experiments: $(STAMP)
	$(VENV)/bin/tubelet experiment attention
	$(VENV)/bin/tubelet experiment mae-cost
	$(VENV)/bin/tubelet experiment mae-efficiency --preset cpu
	$(VENV)/bin/tubelet experiment mae-masking --preset cpu

# every benchmark: docs/benchmarks/benchmarks.md (about an hour on 2 CPU cores; `.venv/bin/python -m bench.report
# --resume` goes on after an interruption), then the ones with their own files, which the README's numbers cite
bench: $(STAMP)
	$(PY) -m bench.report
	$(PY) -m bench.library
	$(PY) -m bench.segment_rules
	$(PY) -m bench.tag_default
	$(PY) -m bench.memory
	$(PY) -m bench.preprocess
	$(PY) -m pip install -q onnxruntime onnx onnxscript  # the reference runtime of bench.content_speed only
	$(PY) -m bench.content_speed
	$(PY) -m bench.zero_shot

# ruff: pyflakes, pycodestyle, import order, bugbear, complexity <= 12, and the formatter's layout; line length
# 120 (pyproject.toml). `make test` fails on a finding; `.venv/bin/ruff format .` fixes the layout.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: lint
	$(PY) -m pytest -q -m "not slow"

test-all: lint
	$(PY) -m pytest -q

# checkpoints across transformers releases: one venv per version under .venv-compat/ (created once, reused),
# random models of every class both ways, the hub layouts -> docs/compat/compat.md (about 4 minutes the first time)
COMPAT_VERSIONS ?= 4.46.3 5.0.0 5.17.0 5.24.0
test-compat: $(STAMP)
	$(PY) -m compat.matrix --versions $(COMPAT_VERSIONS)

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
