"""Run one command; write its wall-clock seconds, its own peak RSS (KiB) and exit status.

    python -I -S bench/spawn.py RESULT_FILE COMMAND [ARG ...]

The benchmark starts every timed command through this small process instead of straight
from the harness: Linux carries a parent's peak RSS into the ``ru_maxrss`` of a child it
forks and execs, so a child of the harness (which holds generated data) would report at least
the harness's peak. This process stays about 8 MiB, below any command measured. It imports only
``os``, ``sys`` and ``time``, and the clock starts at the spawn, so its own start-up is not
timed.
"""

import os
import sys
import time


def main() -> None:
    result_file, argv = sys.argv[1], sys.argv[2:]
    start = time.perf_counter()
    pid = os.posix_spawnp(argv[0], argv, os.environ)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - start
    with open(result_file, "w") as result:
        result.write(f"{seconds} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}\n")


if __name__ == "__main__":
    main()
