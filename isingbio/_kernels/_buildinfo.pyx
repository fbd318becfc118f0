"""What the compiled extension was built with (reported by isingbio.show_config)."""

cdef extern from *:
    """
    #if ISINGBIO_OPENMP
    #include <omp.h>
    static int isb_max_threads(void) { return omp_get_max_threads(); }
    #else
    static int isb_max_threads(void) { return 1; }
    #endif
    """
    int ISINGBIO_OPENMP
    int isb_max_threads()


def build_info():
    """Return a dict: OpenMP on/off, the maximum number of OpenMP threads, Cython version."""
    return {"openmp": bool(ISINGBIO_OPENMP), "openmp_max_threads": int(isb_max_threads()),
            "cython_version": CYTHON_VERSION, "debug_build": bool(DEBUG_BUILD)}
