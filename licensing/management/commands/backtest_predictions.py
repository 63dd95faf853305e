"""python manage.py backtest_predictions [--min-sample N]

Replays the decided applications in time order and reports how often the real decision
fell on or before the predicted p50 and p90 (see licensing.predictions.backtest).
"""

from __future__ import annotations

import math

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from licensing.predictions import BacktestTally, backtest, decided_history, undecided_history


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion k/n: honest even for small n or k near n."""
    if n == 0:
        return (0.0, 0.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def _row(name: str, t: BacktestTally) -> str:
    def share(k: int) -> str:
        lo, hi = wilson(k, t.predicted)
        return f"{k / t.predicted:6.1%} [{lo:4.0%}-{hi:4.0%}]"

    return (
        f"{name:<18} {t.predicted:>5}  {share(t.within_p50):>20}  {share(t.within_p90):>20}"
        f"  {t.abs_error / t.predicted:>7.1f}  {t.signed_error / t.predicted:>+8.1f}"
    )


class Command(BaseCommand):
    help = "Backtest the decision predictions on the decided applications, in time order (no look-ahead)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--min-sample", type=int, default=None,
            help=f"Minimum sample per level (default: PREDICTION_MIN_SAMPLE = {settings.PREDICTION_MIN_SAMPLE}).",
        )
        parser.add_argument(
            "--decided-only", action="store_true",
            help="Ignore the applications still pending at each acceptance (the naive estimator), to compare.",
        )

    def handle(self, *args, min_sample: int | None = None, decided_only: bool = False, **options) -> None:
        if min_sample is not None and min_sample < 1:
            self.stderr.write("--min-sample must be at least 1.")
            raise SystemExit(2)
        result = backtest(
            decided_history(), undecided=undecided_history(), min_sample=min_sample, censoring=not decided_only
        )
        out = self.stdout.write
        method = "decided only" if decided_only else "Kaplan-Meier, pending applications censored"
        out(f"Estimator: {method}; minimum sample {min_sample or settings.PREDICTION_MIN_SAMPLE}")
        out(f"Decided applications replayed: {result.replayed}")
        out(f"  predicted at acceptance:      {result.overall.predicted}")
        out(f"  no prediction (too little history decided before acceptance): {result.no_prediction}")
        if not result.overall.predicted:
            out("Nothing to score.")
            return
        out("")
        out("Shares are of predicted applications, with 95 % Wilson intervals. Error = actual - p50 in working days.")
        header = f"{'':<18} {'n':>5}  {'on/before p50':>20}  {'on/before p90':>20}  {'MAE':>7}  {'bias':>8}"
        out(header)
        out(_row("all", result.overall))
        for level in ("supplier+element", "element", "all"):
            if level in result.by_level:
                out(_row(f"level {level}", result.by_level[level]))
        for year in sorted(result.by_year):
            out(_row(f"accepted {year}", result.by_year[year]))
