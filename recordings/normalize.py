"""Loudness normalisation with a true-peak ceiling that is never crossed.

A plain gain to the target loudness would push speech peaks over the ceiling (speech often
peaks 15-20 dB above its loudness), and clipping them would distort. Instead the gain is applied
and the peaks that would cross the ceiling are pulled down by a short look-ahead limiter; the
loudness is then measured again and the gain corrected until both hold.

The true-peak envelope (the costly part: an 8x oversampling) is computed once, on the input,
and scaled with the gain, since scaling a signal scales its envelope. The limiter's own gain
changes move intersample peaks very slightly, so it aims CEILING_MARGIN_DB under the ceiling;
the pipeline measures the encoded output and scales it down in the (rare) case it still crosses.
"""

from __future__ import annotations

import math

import numpy as np

from .analysis import from_db, integrated_loudness, true_peak_envelope

#: The limiter aims this far below the ceiling, leaving room for mu-law rounding and for
#: meters that interpolate differently (ffmpeg's ebur128 and loudnorm read about 0.1 dB higher).
CEILING_MARGIN_DB = 0.5
#: Half-width of the limiter's gain window: 6 ms before and after each peak.
LIMITER_HALF_WINDOW_SECONDS = 0.006
#: Loudness within this of the target is close enough.
LOUDNESS_TOLERANCE_LU = 0.05
MAX_ROUNDS = 5


def running_min(values: np.ndarray, half: int) -> np.ndarray:
    """Minimum of values[i - half : i + half + 1] for each i (edges repeated), in O(n).

    The van Herk / Gil-Werman method: block-wise prefix and suffix minima.
    """
    width = 2 * half + 1
    size = values.size
    padded = np.pad(values, half, mode="edge")
    padded = np.pad(padded, (0, -padded.size % width), constant_values=np.inf)
    blocks = padded.reshape(-1, width)
    prefix = np.minimum.accumulate(blocks, axis=1).ravel()
    suffix = np.minimum.accumulate(blocks[:, ::-1], axis=1)[:, ::-1].ravel()
    return np.minimum(suffix[:size], prefix[width - 1 : width - 1 + size])


def limiter_gain(envelope: np.ndarray, rate: int, ceiling: float) -> np.ndarray:
    """Per-sample gain (<= 1) that keeps a signal with this true-peak envelope under `ceiling`.

    The curve is a moving minimum of the gain each sample needs, smoothed by a moving average of
    the same width: the average over a window of minima that all include sample i is never above
    what sample i needs, so no peak is left over the ceiling, and the gain changes over about
    12 ms, gently enough not to distort.
    """
    needed = np.minimum(1.0, ceiling / np.maximum(envelope, 1e-12))
    if needed.min() >= 1.0:
        return needed
    half = max(1, round(LIMITER_HALF_WINDOW_SECONDS * rate))
    width = 2 * half + 1
    minimum = np.pad(running_min(needed, half), half, mode="edge")
    cumulative = np.concatenate(([0.0], np.cumsum(minimum)))
    smoothed = (cumulative[width:] - cumulative[:-width]) / width
    return np.minimum(smoothed, needed)


def normalize_loudness(
    samples: np.ndarray, rate: int, target_lufs: float, ceiling_dbtp: float
) -> np.ndarray:
    """The signal at `target_lufs` integrated loudness, its true peaks limited to
    CEILING_MARGIN_DB under `ceiling_dbtp` (as predicted from the input's envelope)."""
    ceiling = from_db(ceiling_dbtp - CEILING_MARGIN_DB)
    loudness = integrated_loudness(samples, rate)
    if not math.isfinite(loudness):
        return samples.copy()
    envelope = true_peak_envelope(samples)
    gain = from_db(target_lufs - loudness)
    result = samples * gain
    for _ in range(MAX_ROUNDS):
        result = samples * (gain * limiter_gain(envelope * gain, rate, ceiling))
        loudness = integrated_loudness(result, rate)
        if abs(loudness - target_lufs) <= LOUDNESS_TOLERANCE_LU:
            break
        gain *= from_db(target_lufs - loudness)
    return result
