"""The forgetlab engine: synthetic world, base model, evaluation and training.

Modules that need torch (model, evaluate, train, ...) are imported explicitly by
their users; this package's own import stays torch-free so the web app can read
the scenario schema, presets and world descriptions without loading torch.
"""
