"""Hydra configs (a package so that installed copies find them)."""
