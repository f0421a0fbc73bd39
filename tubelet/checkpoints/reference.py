"""The transformers classes tubelet is checked against, as data: small random configs for tests and the released
base configs. Plain names and numbers (no torch, no transformers), so the command line can list the kinds."""

SMALL = dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128, image_size=32,
             num_frames=8, num_labels=5)
# name -> (config class, model class, small overrides, base overrides = the released base configs)
KINDS = {
    "videomae": ("VideoMAEConfig", "VideoMAEForVideoClassification", dict(patch_size=16, tubelet_size=2),
                 dict(num_frames=16, num_labels=400)),
    "videomae-model": ("VideoMAEConfig", "VideoMAEModel", dict(patch_size=16, tubelet_size=2), dict(num_frames=16)),
    "videomae-pretraining": ("VideoMAEConfig", "VideoMAEForPreTraining",
                             dict(patch_size=16, tubelet_size=2, decoder_hidden_size=32, decoder_num_hidden_layers=2,
                                  decoder_num_attention_heads=4, decoder_intermediate_size=64), dict(num_frames=16)),
    "timesformer-divided": ("TimesformerConfig", "TimesformerForVideoClassification",
                            dict(patch_size=16, attention_type="divided_space_time"),
                            dict(num_frames=8, num_labels=400)),
    "timesformer-space_only": ("TimesformerConfig", "TimesformerForVideoClassification",
                               dict(patch_size=16, attention_type="space_only"), dict(num_frames=8, num_labels=400)),
    "timesformer-joint": ("TimesformerConfig", "TimesformerForVideoClassification",
                          dict(patch_size=16, attention_type="joint_space_time"), dict(num_frames=8, num_labels=400)),
    "vivit": ("VivitConfig", "VivitForVideoClassification", dict(tubelet_size=[2, 16, 16]),
              dict(num_frames=32, num_labels=400)),
}
