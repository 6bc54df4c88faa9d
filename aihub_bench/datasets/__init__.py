"""Dataset packages, one per AI Hub release (reader, synthetic twin, ``SPEC``), listed in ``registry.py``."""
