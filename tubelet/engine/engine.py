"""The tagging engine: files in, `FileTagged` / `FileFailed` out, every model of the run over one decode pass.

Decoding runs here (`workers=0`), in N worker processes, or whole files run on Ray actors (each holding its own
engine, made again from the same `ModelSpec`s); windows are batched through each model by its `Batcher` (a batch
never mixes files), and a file comes out as soon as its last window is through every model.
"""

from __future__ import annotations

from typing import Callable, Iterator, Sequence

from ..video.decode import VideoError, VideoInfo
from .decoder import Decoder
from .messages import (
    DecodeMessage,
    FileDecoded,
    FileFailed,
    FileTagged,
    ModelSpec,
    ModelWindows,
    RayOptions,
    RunSettings,
    Span,
    WindowFrames,
    WindowOutput,
    WindowResult,
)
from .runner import Batcher, ModelRunner

Progress = Callable[[int], None] | None  # called with the number of windows just through a model


class Engine:
    """`windows`, one (window, stride) per model, gives each model its own windows; else `settings` says."""

    def __init__(
        self,
        runners: Sequence[ModelRunner],
        settings: RunSettings | None = None,
        windows: Sequence[tuple[float | str | None, float | None]] | None = None,
    ):
        if not runners:
            raise ValueError("the engine needs at least one model")
        if windows is not None and len(windows) != len(runners):
            raise ValueError(f"{len(runners)} models but {len(windows)} window settings")
        settings = settings or RunSettings()
        self.runners, self.settings = list(runners), settings
        windows = windows or [(settings.window, settings.stride)] * len(self.runners)
        self.decoder = Decoder(
            tuple(r.track(*w) for r, w in zip(self.runners, windows, strict=True)),
            shots=settings.shots,
            thumbnails=settings.thumbnails,
        )

    @classmethod
    def load(cls, specs: Sequence[ModelSpec], settings: RunSettings, device: str | None = None) -> "Engine":
        windows = [
            (settings.window if s.window is None else s.window, settings.stride if s.stride is None else s.stride)
            for s in specs
        ]
        return cls([ModelRunner.load(s, device) for s in specs], settings, windows)

    def spans(self, info: VideoInfo) -> list[list[Span]]:
        """Each model's windows of a file (the progress bar counts them before any decoding)."""
        return self.decoder.spans(info)

    def tag_file(self, path, info: VideoInfo | None = None, on_window: Progress = None) -> FileTagged:
        """One file through every model; a file that cannot be read raises VideoError (one line)."""
        for out in self.assemble(self.decoder.decode(0, path, info), on_window):
            if isinstance(out, FileFailed):
                raise VideoError(out.message)
            return out
        raise VideoError(f"nothing decoded: {path}")

    def run(
        self, paths: Sequence[str], *, workers: int = 0, ray: RayOptions | None = None, on_window: Progress = None
    ) -> Iterator[FileTagged | FileFailed]:
        """Every file, in the order they finish (indices into `paths` say which is which)."""
        if ray is not None:
            from .on_ray import on_ray

            for out in on_ray(paths, ray, self.settings, Engine.load):
                if on_window and isinstance(out, FileTagged):
                    on_window(sum(len(m.windows) for m in out.models))
                yield out
            return
        if workers > 0:
            from .workers import in_workers

            messages = in_workers(self.decoder, paths, workers)
        else:
            messages = (m for i, p in enumerate(paths) for m in self.decoder.decode(i, p))
        try:
            yield from self.assemble(messages, on_window)
        finally:
            messages.close()

    def assemble(
        self, messages: Iterator[DecodeMessage], on_window: Progress = None
    ) -> Iterator[FileTagged | FileFailed]:
        """Decode messages -> finished files: windows batched through their model, joined per file."""
        batchers = [Batcher(r) for r in self.runners]
        outputs: dict[int, dict[tuple[int, int], WindowOutput]] = {}

        def keep(done):
            for (index, track, window), out in done:
                outputs.setdefault(index, {})[track, window] = out
            if on_window and done:
                on_window(len(done))

        for m in messages:
            if isinstance(m, WindowFrames):
                keep(batchers[m.track].add(m.index, (m.index, m.track, m.window), m.frames))
            elif isinstance(m, FileDecoded):
                for b in batchers:
                    keep(b.flush(m.index))
                yield self._file(m, outputs.pop(m.index, {}))
            else:
                for b in batchers:
                    b.drop(m.index)
                outputs.pop(m.index, None)
                yield m

    def _file(self, m: FileDecoded, outs: dict[tuple[int, int], WindowOutput]) -> FileTagged:
        models = []
        for k, (runner, spans) in enumerate(zip(self.runners, m.spans, strict=True)):
            thumbs = m.thumbnails[k] if m.thumbnails else {}
            windows = [
                WindowResult(**vars(o), start=a, end=b, thumbnail=thumbs.get(w))
                for w, (a, b) in enumerate(spans)
                for o in [outs[k, w]]
            ]
            models.append(ModelWindows(runner.name, windows))
        return FileTagged(m.index, m.path, m.info, m.cuts, models)
