"""Default sizes of the main job, in a module light enough for the CLI to read when it declares
its options: importing :mod:`detente.policy` (numpy, pandas, the engines) costs about 0.2 s,
which ``detente --help`` must not pay. :mod:`detente.policy.compare` uses these values."""

from __future__ import annotations

#: Default Monte Carlo draws (chosen so the default run meets the speed targets of
#: ``benchmarks/bench_compare.py``; see ``benchmarks/results/compare.md``).
DEFAULT_DRAWS = 40

#: Default simulated paths per bargaining draw, set by the Monte Carlo error target
#: (:data:`detente.policy.sensitivity.MC_TARGET`: SE of P(better) ≤ 0.02, SE of the median
#: paired launch difference ≤ 0.5 events), not by speed. The pilot, korea-2023 at seed 2023
#: with the former 40 draws × 16 paths = 640 pairs, had a worst median SE of 1.05 events, so
#: the target needs ~640 × (1.05 / 0.5)² ≈ 2,800 pairs; pairs sharing a bargaining draw showed
#: a design effect of up to ~1.4 there, hence 40 × 96 = 3,840 pairs (at seeds 1–6 and 2023 the
#: worst median SE was then 0.50, the worst SE of P(better) 0.008). Simulated paths are cheap
#: and bargaining draws are not, so the pairs come from paths (docs/report.md, "Sensitivity of
#: the policy channel").
DEFAULT_PATHS_PER_DRAW = 96
