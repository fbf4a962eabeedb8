"""Run the ``kedro-kfp`` binary as a child process."""

from __future__ import annotations

import signal
import subprocess

from kedro_kfp._find_bin import find_kedro_kfp_bin


def run_binary(args: list[str], stdin: bytes | None, env: dict[str, str] | None = None) -> int:
    """Run ``kedro-kfp ARGS``, feed it ``stdin`` and return its exit code.

    Raises:
        FileNotFoundError: the binary cannot be found.
    """
    binary = find_kedro_kfp_bin()
    # A list of arguments and no shell: nothing in ``args`` is ever interpreted.
    child = subprocess.Popen(
        [binary, *args], stdin=subprocess.PIPE if stdin is not None else None, env=env
    )
    # Ctrl-C is delivered to the whole foreground process group. The child decides
    # how to stop; Python keeps waiting so it can return the child's exit code
    # instead of dying with a KeyboardInterrupt traceback.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        child.communicate(stdin)
    finally:
        signal.signal(signal.SIGINT, previous)
    return _exit_status(child.returncode)


def _exit_status(returncode: int) -> int:
    # Popen reports "killed by signal N" as -N; a shell reports it as 128 + N.
    return 128 - returncode if returncode < 0 else returncode
