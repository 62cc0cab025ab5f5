"""hatchet-cli's benchmarks (design §11): `make bench` runs `python -m bench.run`."""

from __future__ import annotations
