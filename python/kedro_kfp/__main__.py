"""``python -m kedro_kfp ARGS``: run the ``kedro-kfp`` binary with ARGS."""

from __future__ import annotations

import os
import sys
from typing import NoReturn

from kedro_kfp._find_bin import find_kedro_kfp_bin


def _main() -> NoReturn:
    try:
        binary = find_kedro_kfp_bin()
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    if sys.platform == "win32":
        # Windows has no exec that replaces the process: run the binary as a child.
        from kedro_kfp._binary import run_binary

        sys.exit(run_binary(sys.argv[1:], stdin=None))
    os.execv(binary, [binary, *sys.argv[1:]])


if __name__ == "__main__":
    _main()
