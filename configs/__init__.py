"""Hydra configs. This top-level folder is installed as the package ``aihub_bench.configs`` (setup.py), so
``pkg://aihub_bench.configs`` finds it from an editable install and from a wheel alike."""
