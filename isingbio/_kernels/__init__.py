"""Compiled kernels (private). Use the public API in :mod:`isingbio` instead."""
