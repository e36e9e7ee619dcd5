"""Evaluation: retrieval benchmarks, answer metrics (ragas), continuous and golden-set runs, alerts."""

import os

# ragas posts usage analytics unless told not to (it ignores DO_NOT_TRACK); a self-hosted evaluator stays silent.
os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")
