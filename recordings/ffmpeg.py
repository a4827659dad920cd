"""Finding and running ffmpeg.

The system's ffmpeg (Debian's package, installed by `scripts/bootstrap.sh`) is preferred; when
there is none on the PATH, the binary that the `imageio-ffmpeg` wheel ships is used instead. That
one comes without ffprobe, so nothing in this package relies on ffprobe: formats are sniffed in
Python and passed to ffmpeg explicitly.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import warnings
from collections.abc import Sequence

#: Longest any single ffmpeg run may take before it is treated as stuck.
DEFAULT_TIMEOUT_SECONDS = 120.0

#: Arguments every run starts with: quiet, never reading the terminal, overwriting outputs.
BASE_ARGS = ("-hide_banner", "-nostdin", "-loglevel", "error", "-y")


class FFmpegError(RuntimeError):
    """ffmpeg could not be run or did not finish: a fault of the machine, not of the input."""


class FFmpegFailed(FFmpegError):
    """ffmpeg ran and exited with an error, usually because it could not read its input."""

    def __init__(self, returncode: int, stderr: str) -> None:
        self.returncode = returncode
        self.stderr = stderr
        super().__init__(f"ffmpeg exited with {returncode}: {last_line(stderr)}")


def last_line(text: str) -> str:
    """The last non-empty line of ffmpeg's error output, the one that says what went wrong."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


@functools.cache
def ffmpeg_executable() -> str:
    """Path to the ffmpeg binary: the system's when on the PATH, else imageio-ffmpeg's."""
    system = shutil.which("ffmpeg")
    if system:
        return system
    try:
        import imageio_ffmpeg
    except ImportError as error:  # pragma: no cover - it is a runtime dependency
        raise FFmpegError(
            "ffmpeg was not found: install Debian's ffmpeg package or the imageio-ffmpeg wheel"
        ) from error
    return imageio_ffmpeg.get_ffmpeg_exe()


def run_ffmpeg(
    args: Sequence[str],
    *,
    stdin: bytes | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> bytes:
    """Run ffmpeg with `args` (after the common quiet flags) and return what it wrote to stdout.

    Raises `FFmpegFailed` when ffmpeg exits non-zero (bad input) and `FFmpegError` when it cannot
    be started or runs past `timeout` seconds.
    """
    with FFmpegProcess(args, piped_stdin=stdin is not None) as process:
        return process.finish(stdin, timeout=timeout)


class FFmpegProcess:
    """An ffmpeg process started now and given its input later.

    Starting ffmpeg (loading its libraries) takes about a tenth of a second; starting it early
    lets that happen while Python still computes what to feed it. Use as a context manager: a
    process that was never finished is killed on exit.
    """

    def __init__(self, args: Sequence[str], *, piped_stdin: bool = True) -> None:
        command = [ffmpeg_executable(), *BASE_ARGS, *args]
        try:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE if piped_stdin else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        except OSError as error:
            raise FFmpegError(f"ffmpeg could not be started: {error}") from error
        self._finished = False

    def finish(self, stdin: bytes | None = None, *, timeout: float = DEFAULT_TIMEOUT_SECONDS):
        """Send `stdin`, wait for ffmpeg to exit and return its stdout (see `run_ffmpeg`)."""
        try:
            stdout, stderr = self._process.communicate(stdin, timeout=timeout)
            self._finished = True
        except subprocess.TimeoutExpired as error:
            self.close()
            raise FFmpegError(f"ffmpeg ran for more than {timeout:g} s and was stopped") from error
        if self._process.returncode != 0:
            raise FFmpegFailed(self._process.returncode, stderr.decode("utf-8", "replace"))
        return stdout

    def close(self) -> None:
        """Kill ffmpeg if it is still running, reap it and close its pipes."""
        if self._finished:
            return
        if self._process.poll() is None:
            self._process.kill()
        self._process.communicate()
        self._finished = True

    def __enter__(self) -> FFmpegProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def configure_pydub() -> None:
    """Point pydub at the same ffmpeg, for code that still uses pydub.

    The processing pipeline itself does not use pydub (it decodes once with ffmpeg and works on
    numpy arrays). Importing pydub warns about the deprecated `audioop` module on Python 3.11
    and, without ffmpeg on the PATH, about a missing converter; both are expected here and are
    silenced for this import only.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="'audioop' is deprecated", category=DeprecationWarning
        )
        warnings.filterwarnings("ignore", message="Couldn't find ffmpeg", category=RuntimeWarning)
        warnings.filterwarnings("ignore", message="invalid escape sequence")
        from pydub import AudioSegment

    AudioSegment.converter = ffmpeg_executable()
