"""Build the compiled kernels.

Environment variables (pip passes no flags to setup.py):
  ISINGBIO_DEBUG=1        bounds checks (Cython, and ISB_ASSERT in the C core), line tracing, -O0 -g
  ISINGBIO_SANITIZE=1     AddressSanitizer + UndefinedBehaviorSanitizer (-O1 -g; run with the
                          sanitizer runtimes preloaded: .ci/sanitize)
  ISINGBIO_NO_OPENMP=1    build serially even if OpenMP works
  ISINGBIO_BUILD_ONLY=a,b build only these kernel modules (development)
"""

import glob
import os
import subprocess
import sys
import sysconfig
import tempfile
import textwrap

import Cython
import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

DEBUG = os.environ.get("ISINGBIO_DEBUG", "") not in ("", "0")
SANITIZE = os.environ.get("ISINGBIO_SANITIZE", "") not in ("", "0")
SANITIZE_FLAGS = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer"]

RELEASE_DIRECTIVES = dict(
    language_level=3,
    boundscheck=False,
    wraparound=False,
    cdivision=True,
    initializedcheck=False,
    nonecheck=False,
    embedsignature=True,
)
DEBUG_DIRECTIVES = dict(
    language_level=3,
    boundscheck=True,
    wraparound=False,
    cdivision=False,
    initializedcheck=True,
    linetrace=True,
    embedsignature=True,
)


def openmp_works():
    """Compile and run a small OpenMP program; True if it works."""
    if os.environ.get("ISINGBIO_NO_OPENMP", "") not in ("", "0"):
        return False
    cc = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    src = textwrap.dedent("""
        #include <omp.h>
        #include <stdio.h>
        int main(void) { int n = 0;
        #pragma omp parallel reduction(+:n)
          n += 1;
          printf("%d", n > 0); return 0; }
    """)
    with tempfile.TemporaryDirectory() as tmp:
        c_file = os.path.join(tmp, "omp_test.c")
        exe = os.path.join(tmp, "omp_test")
        with open(c_file, "w") as fh:
            fh.write(src)
        try:
            subprocess.run(cc.split() + ["-fopenmp", c_file, "-o", exe], check=True, capture_output=True)
            out = subprocess.run([exe], check=True, capture_output=True, text=True).stdout
        except (OSError, subprocess.CalledProcessError):
            return False
    return out.strip() == "1"


OPENMP = openmp_works()
if not OPENMP:
    sys.stderr.write("warning: OpenMP not available; isingbio kernels will run single-threaded\n")

compile_args = ["-O0", "-g"] if DEBUG else ["-O3"]
link_args = []
macros = [("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION"), ("ISINGBIO_OPENMP", "1" if OPENMP else "0")]
if DEBUG:
    macros += [("CYTHON_TRACE_NOGIL", "1"), ("ISB_DEBUG", "1")]
if SANITIZE:
    compile_args = (["-O0"] if DEBUG else ["-O1"]) + ["-g"] + SANITIZE_FLAGS
    link_args += SANITIZE_FLAGS
if OPENMP:
    compile_args.append("-fopenmp")
    link_args.append("-fopenmp")

only = {s.strip() for s in os.environ.get("ISINGBIO_BUILD_ONLY", "").split(",") if s.strip()}
# headers every kernel may include: a change to one rebuilds the extensions
HEADERS = sorted(
    glob.glob(os.path.join("isingbio", "_kernels", "*.h")) + glob.glob(os.path.join("isingbio", "_kernels", "*.pxd"))
)
extensions = []
for pyx in sorted(glob.glob(os.path.join("isingbio", "_kernels", "*.pyx"))):
    name = os.path.splitext(os.path.basename(pyx))[0]
    if only and name not in only:
        continue
    extensions.append(
        Extension(
            "isingbio._kernels." + name,
            [pyx],
            include_dirs=[np.get_include(), os.path.join("isingbio", "_kernels")],
            define_macros=macros,
            extra_compile_args=compile_args,
            extra_link_args=link_args,
            depends=HEADERS,
        )
    )

setup(
    ext_modules=cythonize(
        extensions,
        compiler_directives=DEBUG_DIRECTIVES if DEBUG else RELEASE_DIRECTIVES,
        compile_time_env={"OPENMP": OPENMP, "CYTHON_VERSION": Cython.__version__, "DEBUG_BUILD": DEBUG},
    ),
)
