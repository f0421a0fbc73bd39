"""Text for the video-language models: CLIP's byte-pair tokenizer, read from a checkpoint folder's own files."""
