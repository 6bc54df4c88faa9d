"""Package layout that pyproject.toml cannot express: the top-level ``configs/`` folder (where users edit the
Hydra configs, as in lightning-hydra-template) ships inside the package as ``aihub_bench.configs``, so an
editable install and a wheel installed anywhere find the same configs. Everything else is in pyproject.toml.
"""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["aihub_bench*"]) + ["aihub_bench.configs"],
    package_dir={"aihub_bench.configs": "configs"},
    package_data={"aihub_bench.configs": ["**/*.yaml"]},
)
