"""Training on video files: labelled and unlabelled data, the loop machinery train and pretrain share, supervised
training, VideoMAE pretraining, fine-tuning from a pretrained encoder, and evaluation."""
