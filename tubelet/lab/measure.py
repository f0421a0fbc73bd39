"""Measuring speed and memory honestly: median wall time after warm-up, and peak memory of one call.

CPU peak memory is the process's resident high-water mark (VmHWM) during the call, above what was resident
before it; Linux lets a process reset its own mark (`echo 5 > /proc/self/clear_refs`), so each call is
measured on its own. On CUDA it is `torch.cuda.max_memory_allocated` above the memory allocated before.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import torch


def _sync(device: str):
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def median_seconds(fn, device: str = "cpu", warmup: int = 1, reps: int = 3, min_seconds: float = 0.0) -> float:
    """Median of `reps` timed calls (more while the total is under `min_seconds`), after `warmup` calls."""
    for _ in range(warmup):
        fn()
    _sync(device)
    times = []
    while len(times) < reps or sum(times) < min_seconds:
        t0 = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def interleaved_medians(fns: dict, device: str = "cpu", reps: int = 3) -> dict:
    """Median seconds of each function, timed in rounds (A B C, A B C, ...) rather than one after the other:
    a machine whose speed drifts (shared or throttled cores) then biases no runner against another."""
    times = {name: [] for name in fns}
    for _ in range(reps):
        for name, fn in fns.items():
            times[name].append(median_seconds(fn, device, warmup=0, reps=1))
    return {name: statistics.median(t) for name, t in times.items()}


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


_MALLOC_FIXED = False


def _fix_malloc():
    """glibc serves blocks under its (self-raising, up to 32 MiB) mmap threshold from a heap it keeps after
    free, so a later call could reuse that memory without the resident size moving. Pin the threshold at
    64 KiB: every tensor buffer is mapped on allocation and unmapped on free, and the mark sees it."""
    global _MALLOC_FIXED
    if _MALLOC_FIXED:
        return
    _MALLOC_FIXED = True
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 64 * 1024)  # M_MMAP_THRESHOLD (fixing it also stops the dynamic adjustment)
        libc.mallopt(-1, 128 * 1024)  # M_TRIM_THRESHOLD: give freed heap tops back
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        pass


def cpu_peak_supported() -> bool:
    _fix_malloc()
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_bytes(fn, device: str = "cpu") -> int | None:
    """Extra memory at the peak of one call to fn (None where this platform cannot tell)."""
    if device.startswith("cuda"):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
        fn()
        torch.cuda.synchronize()
        return torch.cuda.max_memory_allocated() - before
    if not cpu_peak_supported():
        return None
    before = _status_kib("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # reset the high-water mark to the current RSS
    fn()
    return max(0, _status_kib("VmHWM") - before) * 1024


def matmul_gflops(device: str = "cpu", n: int = 2048, dtype=torch.float32) -> float:
    """This machine's dense matmul rate: the ceiling any model here can approach."""
    a, b = torch.randn(n, n, device=device, dtype=dtype), torch.randn(n, n, device=device, dtype=dtype)
    sec = median_seconds(lambda: a @ b, device, warmup=2, reps=5)
    return 2 * n**3 / sec / 1e9


def hardware(device: str = "cpu") -> str:
    """One line naming what the numbers were measured on."""
    import os
    import platform

    if device.startswith("cuda"):
        return f"{torch.cuda.get_device_name()} (torch {torch.__version__}, CUDA {torch.version.cuda})"
    model = platform.processor() or "cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{model}, {os.cpu_count()} cores, {torch.get_num_threads()} torch threads, "
        f"ISA {torch.backends.cpu.get_cpu_capability()} (torch {torch.__version__})"
    )
