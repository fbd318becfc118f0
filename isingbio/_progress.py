"""Progress bars on stderr for long work (no dependency; callers decide when to show them)."""

# Kept rather than tqdm: 40 lines for one bar on stderr, not worth a runtime dependency.
from __future__ import annotations

import sys
import time


class _NoProgress:
    def update(self, n):
        pass

    def close(self):
        pass


class _Progress:
    """A minimal progress bar on stderr (no dependency)."""

    def __init__(self, total, label):
        self.total, self.label, self.done = max(total, 1), label, 0
        self.stream = sys.stderr
        self.start = time.perf_counter()
        self.last = 0.0

    def update(self, n):
        self.done += n
        now = time.perf_counter()
        if now - self.last < 0.2 and self.done < self.total:
            return
        self.last = now
        frac = min(1.0, self.done / self.total)
        bar = "#" * int(30 * frac)
        elapsed = now - self.start
        eta = elapsed * (1 - frac) / frac if frac > 0 else 0
        self.stream.write(f"\r{self.label:<14} [{bar:<30}] {frac:6.1%}  {elapsed:6.1f} s  eta {eta:6.1f} s")
        self.stream.flush()

    def close(self):
        if self.done:
            self.update(0)
            self.stream.write("\n")
            self.stream.flush()


def progress_bar(enabled: bool, total: float, label: str):
    """A progress bar with update(n) and close(); a no-op object when not enabled."""
    return _Progress(total, label) if enabled else _NoProgress()
