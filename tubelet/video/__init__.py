"""From a video file to model input: decode (PyAV), sample times (clips and windows), preprocess, symmetric views.

Tagging and training both read video through this package, so a model sees at training time exactly what it
sees when it tags.
"""
