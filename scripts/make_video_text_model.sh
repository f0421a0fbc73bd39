#!/usr/bin/env bash
# The one command that makes the bundled video-language model (run it as `make video-text-model`).
# Synthesizes the captioned clips, trains the video tower (started from the bundled camera-motion model's encoder)
# and a text tower contrastively, measures zero-shot on held-out combinations and camera moves over real footage,
# writes docs/video-text-model/, installs into tubelet/models/video-text/.
# Knobs (environment): T, PY, WORKERS, CLIPS, EPOCHS, DATA and RUNS (folders), INSTALL=0 (do not install).
set -euo pipefail
cd "$(dirname "$0")/.."
T=${TUBELET:-.venv/bin/tubelet}
PY=${PY:-.venv/bin/python}
WORKERS=${WORKERS:-2}
D=${DATA:-data}
R=${RUNS:-runs}
SECONDS=0
stamp() { echo "[video-text-model] $1 at ${SECONDS} s"; }

# 1. data: 4000 captioned clips (80/10/10, seed 0); half of the test clips show (shape, colour, motion)
#    combinations training never sees, captioned in phrasings training never sees (tubelet/synth/captions.py)
$T synth captions $D/captions --clips "${CLIPS:-4000}" --seed 0 --workers "$WORKERS" -q
stamp "synthesized"
# 2. the model: the camera-motion model's encoder (16 frames per 2 s, 64 px, conv stem, 4 blocks of width 128)
#    under a projection to 128; a 2-block text tower of width 128 with a 1000-token byte-pair vocabulary learnt from
#    the training captions; batches of 64 clips (each the others' negatives), clips decoded once into memory
$T train-text $D/captions --out $R/video-text --init camera-motion --epochs "${EPOCHS:-15}" --batch-size 64 \
    --lr 5e-4 --text-dim 128 --text-depth 2 --vocab 1000 --projection-dim 128 --window 2.0 --seed 0 \
    --workers "$WORKERS" --cache -q
stamp "trained"
# 3. what it learnt: zero-shot by fact on the test split, camera moves over real footage (docs/video-text-model/)
$PY scripts/video_text_report.py "$R/video-text/best" "$D/captions/test.csv" --seconds "$SECONDS"
stamp "checked"
# 4. install
if [ "${INSTALL:-1}" != 0 ]; then
    mkdir -p tubelet/models/video-text
    cp $R/video-text/best/{config.json,model.safetensors,preprocessor_config.json,vocab.json,merges.txt} \
       $R/video-text/best/{special_tokens_map.json,tokenizer_config.json} tubelet/models/video-text/
    stamp "installed"
fi
