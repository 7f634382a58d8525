"""Shell: a Prometheus histogram that a textfile run can carry on, for ``metrics``.

In: observed values (a cycle's duration) and, from the textfile a run replaces, the samples of
the same histogram. Out: a ``prometheus_client`` collector yielding one histogram family.
prometheus-client's own ``Histogram`` cannot be started from earlier counts without its private
fields, and a CronJob's histogram must only ever grow, as its counters do (a reset each run
would make ``rate()`` of every bucket meaningless); so the few counts are kept here.
"""

from __future__ import annotations

import itertools
import logging
import math
import threading
from collections.abc import Iterable, Iterator, Sequence

from prometheus_client.metrics_core import HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample

log = logging.getLogger(__name__)


class ContinuedHistogram(Collector):
    """Cumulative bucket counts and a sum; thread-safe (the server collects, the loop observes)."""

    def __init__(self, name: str, documentation: str, buckets: Sequence[float]) -> None:
        self.name = name
        self._documentation = documentation
        self._bounds = (*sorted(buckets), math.inf)
        self._counts = [0.0] * len(self._bounds)  # cumulative: values <= each bound
        self._sum = 0.0
        self._lock = threading.Lock()

    def observe(self, value: float) -> None:
        with self._lock:
            for index, bound in enumerate(self._bounds):
                if value <= bound:
                    self._counts[index] += 1
            self._sum += value

    def continue_from(self, samples: Iterable[Sample]) -> None:
        """Add the counts of an earlier run's samples of this histogram, if they fit ours."""
        counts, total = self._read(samples)
        if counts is None:
            log.warning("metrics: %s has other buckets or no counts; starting it afresh", self.name)
            return
        with self._lock:
            self._counts = [
                mine + earlier for mine, earlier in zip(self._counts, counts, strict=True)
            ]
            self._sum += total

    def _read(self, samples: Iterable[Sample]) -> tuple[list[float] | None, float]:
        by_bound: dict[float, float] = {}
        total = 0.0
        for sample in samples:
            if sample.name == self.name + "_bucket":
                by_bound[float(sample.labels.get("le", "nan"))] = sample.value
            elif sample.name == self.name + "_sum":
                total = sample.value
        if set(by_bound) != set(self._bounds):
            return None, 0.0
        counts = [by_bound[bound] for bound in self._bounds]
        valid = all(math.isfinite(c) and c >= 0 for c in counts) and math.isfinite(total)
        ordered = all(a <= b for a, b in itertools.pairwise(counts))
        return (counts, total) if valid and ordered else (None, 0.0)

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            buckets = [
                (_le(bound), count) for bound, count in zip(self._bounds, self._counts, strict=True)
            ]
            total = self._sum
        yield HistogramMetricFamily(self.name, self._documentation, buckets, sum_value=total)

    def describe(self) -> Iterator[Metric]:
        yield HistogramMetricFamily(self.name, self._documentation)


def _le(bound: float) -> str:
    """A bucket's ``le`` as Prometheus spells it: ``0.5``, ``1.0``, ``+Inf``."""
    return "+Inf" if math.isinf(bound) else repr(float(bound))
