"""Models: the config, tokens, attention, `VideoTransformer`, VideoMAE and its masks, and the cost calculator.

Nothing here reads files or knows about checkpoints; `checkpoints/` converts to and from these classes.
"""
