"""aihub_bench: training and benchmark framework for the NIA 2019 AI Hub datasets."""

from aihub_bench.config_resolvers import register as _register_resolvers

__version__ = "0.1.0"

_register_resolvers()
