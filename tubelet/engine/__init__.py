"""The tagging engine: (file, models, settings) -> typed window results, the one path `tag`, `index`,
`index --workers N` and `index --ray` share. decoder.py reads every model's window frames in one decode pass;
runner.py is the one place windows are batched through a model; engine.py joins them, in this process, in worker
processes or on Ray actors; messages.py holds every dataclass that crosses a process boundary."""
