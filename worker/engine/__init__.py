"""The forgetlab engine: loading and pretraining base models, evaluation, the training loop and its
mitigations' hooks, the claims and the gate. It imports torch; the web process never imports it.

The scenario schema, the presets and the tiers (their worlds, suites and data) are core's
(forgetlab.core), which the web app reads without torch. Modules here are imported explicitly by
their users; this package's own import imports nothing.
"""
