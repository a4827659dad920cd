"""Benchmark: processing a 60 s browser recording, beside the floor of one bare ffmpeg pass.

Run with `.venv/bin/python bench/recording_pipeline.py` (needs espeak-ng and ffmpeg). It builds
a recording like Chrome's MediaRecorder makes (WebM/Opus, 48 kHz, mono, no cues): French speech
from espeak-ng repeated with pauses over 60 s, on a faint room noise. Then it prints the median
of 5 runs of `process_recording` on it, the median of 5 runs of one bare ffmpeg decode+encode of
the same file to an 8 kHz mu-law WAV (the floor), and their ratio. Target: at most 1.5 s.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SECONDS = 60.0
RATE = 48000
RUNS = 5
TARGET_SECONDS = 1.5
TEXT = (
    "Bonjour, c'est Claire, votre conseillère. Je vous appelle au sujet de votre projet de "
    "rénovation. Rappelez-moi quand vous le pourrez, je serai ravie d'en parler avec vous."
)


def speech_samples(folder: Path) -> np.ndarray:
    """French speech from espeak-ng, as float samples at RATE."""
    spoken = folder / "speech.wav"
    subprocess.run(["espeak-ng", "-v", "fr", "-w", str(spoken), TEXT], check=True)
    with wave.open(str(spoken)) as reader:
        rate = reader.getframerate()
        pcm = np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2")
    samples = pcm.astype(np.float64) / 32768.0
    positions = np.arange(0, samples.size, rate / RATE)
    return np.interp(positions, np.arange(samples.size), samples)


def browser_recording(folder: Path) -> bytes:
    """60 s of speech with pauses and room noise, encoded as Chrome's recorder does."""
    speech = speech_samples(folder)
    total = int(SECONDS * RATE)
    signal = np.zeros(total)
    position = int(0.8 * RATE)  # the seller waits a moment before speaking
    last = total - int(0.7 * RATE)  # and stops the recorder a moment after the last word
    while position < last:
        length = min(speech.size, last - position)
        signal[position : position + length] = speech[:length] * 0.5
        position += length + int(0.6 * RATE)
    signal += np.random.default_rng(7).normal(0.0, 10 ** (-65 / 20), total)  # room noise
    pcm = (np.clip(signal, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    from recordings.ffmpeg import ffmpeg_executable

    command = [ffmpeg_executable(), "-hide_banner", "-loglevel", "error", "-y"]
    command += ["-f", "s16le", "-ar", str(RATE), "-ac", "1", "-i", "pipe:0"]
    command += ["-c:a", "libopus", "-b:a", "128k", "-frame_duration", "20"]
    command += ["-live", "1", "-f", "webm", "pipe:1"]
    return subprocess.run(command, input=pcm, capture_output=True, check=True).stdout


def median_seconds(action: Callable[[], object], runs: int = RUNS) -> float:
    """Median wall time of `runs` calls, after one warm-up call."""
    action()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    from recordings import process_recording
    from recordings.ffmpeg import ffmpeg_executable

    with tempfile.TemporaryDirectory(prefix="bench-recording-") as name:
        folder = Path(name)
        data = browser_recording(folder)
        source = folder / "browser.webm"
        source.write_bytes(data)
        result = process_recording(data, filename="browser.webm", content_type="audio/webm")
        print(
            f"input: {len(data) / 1e6:.2f} MB webm/opus 48 kHz, {SECONDS:.0f} s; output "
            f"{result.duration_seconds:.1f} s, {result.loudness_lufs:.1f} LUFS, "
            f"{result.true_peak_dbtp:.1f} dBTP, speech ratio {result.speech_ratio:.2f}"
        )
        pipeline = median_seconds(lambda: process_recording(data))
        bare_command = [ffmpeg_executable(), "-hide_banner", "-loglevel", "error", "-y"]
        bare_command += ["-i", str(source), "-ac", "1", "-ar", "8000", "-c:a", "pcm_mulaw"]
        bare_command += [str(folder / "bare.wav")]
        floor = median_seconds(lambda: subprocess.run(bare_command, check=True))

    print(f"process_recording {SECONDS:.0f}s webm: median {pipeline:.2f} s ({RUNS} runs)")
    print(f"bare ffmpeg decode+encode: median {floor:.2f} s ({RUNS} runs)")
    print(f"ratio {pipeline / floor:.2f}x")
    verdict = "met" if pipeline <= TARGET_SECONDS else "NOT met"
    print(f"target <= {TARGET_SECONDS:g} s: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
