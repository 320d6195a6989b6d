"""The real asv run the slow tests share: its settings, and asv as a subprocess."""

import subprocess
import sys

# asv as the history runs it: its results files written atomically.
ASV = [sys.executable, "-m", "allocbench.history.asv_command"]
ENV = ("3.11", "1.24.4")
RELEASES = ("0.48.0", "0.57.1", "0.68.1")
BENCH = [r"^bench_seed\.SeedPlot", r"^bench_memory\.ResidentMemory\.track_resident_added\("
         r"'(numba|numpy)\.zeros', '256 MiB'\)",
         r"^bench_alloc\.Alloc\.time_alloc\('(numpy\.zeros|numba\.zeros|mixed\.zeros_in)', "
         r"'(1 MiB|32 MiB|256 MiB)'\)", r"^bench_cliff\.", r"^bench_machine\."]  # fmt: skip
MACHINE = "testbox"


def run_asv(args, cwd, env, timeout=900, ok=(0,)):
    """asv `args`; asserts the exit status is in `ok`, returns stdout."""
    done = subprocess.run(
        ASV + args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode in ok, f"asv {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout
