"""`make test-compat`: tubelet's checkpoints against several released transformers versions, one venv each."""
