"""forgetlab core: torch-free and web-free; imported by app/ and worker/, importing neither."""
