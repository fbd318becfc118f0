# Cython declarations of the xoshiro256** generator in rng.h (see that file for the layout).
from libc.stdint cimport uint64_t

cdef extern from "rng.h" nogil:
    int ISB_RNG_LANES
    int ISB_RNG_WORDS
    uint64_t isb_next(uint64_t *w) noexcept
    uint64_t isb_next_lane(uint64_t *w, int lane) noexcept
    double isb_uniform(uint64_t *w) noexcept
    uint64_t isb_bounded(uint64_t *w, uint64_t n) noexcept
    void isb_next8(uint64_t *w, uint64_t *out) noexcept
