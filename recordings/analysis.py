"""Measurements on mono float samples: loudness, true peak, speech activity, clipping.

Loudness follows ITU-R BS.1770-4 (K-weighting, 400 ms blocks with 75 % overlap, absolute gate
at -70 LUFS and relative gate at -10 LU). The K-weighting filter is applied in the frequency
domain with the magnitude response of the standard's 48 kHz biquads evaluated at the signal's
own frequencies, which is what upsampling to 48 kHz and filtering there would measure. True
peak is the peak of the signal oversampled 8 times (band-limited interpolation by FFT).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

#: BS.1770 K-weighting at 48 kHz: the shelving pre-filter, then the RLB high-pass.
_K_STAGES = (
    (
        (1.53512485958697, -2.69169618940638, 1.19839281085285),
        (1.0, -1.69065929318241, 0.73248077421585),
    ),
    ((1.0, -2.0, 1.0), (1.0, -1.99004745483398, 0.99007225036621)),
)
_K_RATE = 48000.0

TRUE_PEAK_OVERSAMPLING = 8
_ENVELOPE_CHUNK = 16384  # samples per FFT chunk, margins included
_ENVELOPE_MARGIN = 256
FRAME_SECONDS = 0.010
LEVEL_FLOOR_DB = -120.0

#: Speech detection: frames count as speech when louder than all of these.
SPEECH_ABSOLUTE_FLOOR_DB = -55.0  # nothing quieter is speech, however quiet the room
SPEECH_BELOW_LOUDEST_DB = 35.0  # within this of the loudest passage
SPEECH_ABOVE_NOISE_DB = 10.0  # clearly above the background noise
SPEECH_GAP_BRIDGE_SECONDS = 0.30  # pauses between words shorter than this are speech
SPEECH_MIN_SEGMENT_SECONDS = 0.04  # shorter bursts are clicks
EDGE_EXTENSION_SECONDS = 0.25  # how far a soft word onset or ending may reach beyond a segment
EDGE_ABOVE_NOISE_DB = 4.0

#: Clipping: a sample this close to full scale counts as clipped (about -0.18 dBFS).
CLIP_LEVEL = 0.98


def to_db(value: float) -> float:
    """Amplitude ratio to decibels (-inf for 0)."""
    return 20.0 * math.log10(value) if value > 0 else -math.inf


def from_db(decibels: float) -> float:
    """Decibels to amplitude ratio."""
    return 10.0 ** (decibels / 20.0)


def fast_fft_length(minimum: int) -> int:
    """The smallest 2^a * 3^b * 5^c >= `minimum`: FFTs of such lengths are fast."""
    best = 1 << max(0, (minimum - 1).bit_length())
    power5 = 1
    while power5 < best:
        power35 = power5
        while power35 < best:
            size = power35
            while size < minimum:
                size *= 2
            best = min(best, size)
            power35 *= 3
        power5 *= 5
    return best


@functools.lru_cache(maxsize=8)
def _k_weighting_magnitude(size: int, rate: int) -> np.ndarray:
    """|H(f)| of the BS.1770 K-weighting filter at the frequencies of an rfft of `size`."""
    z = np.exp(-2j * np.pi * np.fft.rfftfreq(size, 1.0 / rate) / _K_RATE)
    response = np.ones_like(z)
    for (b0, b1, b2), (a0, a1, a2) in _K_STAGES:
        response *= (b0 + b1 * z + b2 * z * z) / (a0 + a1 * z + a2 * z * z)
    magnitude = np.abs(response)
    magnitude.flags.writeable = False
    return magnitude


def k_weighted(samples: np.ndarray, rate: int) -> np.ndarray:
    """The K-weighted signal (zero phase), same length as `samples`."""
    padding = rate // 2  # room for the filters' ringing, so it does not wrap around
    size = fast_fft_length(samples.size + padding)
    spectrum = np.fft.rfft(samples, size)
    spectrum *= _k_weighting_magnitude(size, rate)
    return np.fft.irfft(spectrum, size)[: samples.size]


def integrated_loudness(samples: np.ndarray, rate: int) -> float:
    """Integrated loudness in LUFS of a mono signal (-inf when everything is gated out)."""
    if samples.size == 0:
        return -math.inf
    weighted = k_weighted(samples, rate)
    block = round(0.400 * rate)
    hop = round(0.100 * rate)
    energy = np.concatenate(([0.0], np.cumsum(weighted * weighted)))
    if samples.size < block:
        powers = np.array([energy[-1] / samples.size])
    else:
        starts = np.arange(0, samples.size - block + 1, hop)
        powers = (energy[starts + block] - energy[starts]) / block
    with np.errstate(divide="ignore"):
        levels = -0.691 + 10.0 * np.log10(powers)
    kept = powers[levels > -70.0]
    if kept.size == 0:
        return -math.inf
    relative_gate = -0.691 + 10.0 * math.log10(kept.mean()) - 10.0
    with np.errstate(divide="ignore"):
        kept = kept[-0.691 + 10.0 * np.log10(kept) > relative_gate]
    return -0.691 + 10.0 * math.log10(kept.mean())


def true_peak_envelope(
    samples: np.ndarray, oversampling: int = TRUE_PEAK_OVERSAMPLING
) -> np.ndarray:
    """For each sample i, the peak magnitude of the band-limited signal over [i, i + 1).

    The signal is oversampled by FFT in overlapping chunks (one batched FFT, small enough to
    stay in cache): each chunk's margins absorb the wrap-around of its edges and are dropped,
    leaving an error below -60 dB of the signal, a few times faster than one long FFT.
    """
    if samples.size == 0:
        return np.zeros(0)
    margin, size = _ENVELOPE_MARGIN, _ENVELOPE_CHUNK
    core = size - 2 * margin
    count = -(-(samples.size + 64) // core)  # + some silence after the end, as a player adds
    padded = np.zeros(count * core + 2 * margin)
    padded[margin : margin + samples.size] = samples
    frames = sliding_window_view(padded, size)[::core]
    upsampled = np.fft.irfft(np.fft.rfft(frames, axis=1), size * oversampling, axis=1)
    upsampled = upsampled[:, margin * oversampling : (margin + core) * oversampling]
    envelope = np.abs(upsampled[:, 0::oversampling])
    for phase in range(1, oversampling):  # faster than a reshape and max over a short axis
        np.maximum(envelope, np.abs(upsampled[:, phase::oversampling]), out=envelope)
    return envelope.ravel()[: samples.size] * oversampling


def true_peak_dbtp(samples: np.ndarray) -> float:
    """True peak in dBTP (-inf for digital silence)."""
    envelope = true_peak_envelope(samples)
    return to_db(float(envelope.max())) if envelope.size else -math.inf


def frame_levels_db(
    samples: np.ndarray, rate: int, frame_seconds: float = FRAME_SECONDS
) -> np.ndarray:
    """RMS level of consecutive frames in dBFS (floored at LEVEL_FLOOR_DB)."""
    frame = max(1, round(frame_seconds * rate))
    count = samples.size // frame
    if count == 0:
        return np.full(1, LEVEL_FLOOR_DB)
    frames = samples[: count * frame].reshape(count, frame)
    power = np.mean(frames * frames, axis=1)
    with np.errstate(divide="ignore"):
        levels = 10.0 * np.log10(power)
    return np.maximum(levels, LEVEL_FLOOR_DB)


@dataclass(frozen=True)
class SpeechActivity:
    """Where the speech is: segments in seconds, and the levels the decision used."""

    segments: tuple[tuple[float, float], ...]
    loudest_db: float  # loudest 50 ms, dBFS RMS
    noise_floor_db: float  # quietest 10 % of 10 ms frames
    threshold_db: float

    @property
    def speech_seconds(self) -> float:
        return sum(end - start for start, end in self.segments)

    @property
    def start(self) -> float:
        return self.segments[0][0] if self.segments else 0.0

    @property
    def end(self) -> float:
        return self.segments[-1][1] if self.segments else 0.0


def detect_speech(samples: np.ndarray, rate: int) -> SpeechActivity:
    """Find the speech: frames clearly above the noise and not far below the loudest passage.

    Pauses shorter than SPEECH_GAP_BRIDGE_SECONDS count as speech (pauses between words), and
    the first and last segments are extended over soft onsets and endings, so trimming keeps
    whole words.
    """
    levels = frame_levels_db(samples, rate)
    power = 10.0 ** (levels / 10.0)
    window = 5  # 50 ms
    if power.size >= window:
        smoothed = np.convolve(power, np.ones(window) / window, mode="valid")
    else:
        smoothed = power
    loudest = max(10.0 * math.log10(float(smoothed.max())), LEVEL_FLOOR_DB)
    noise = float(np.percentile(levels, 10))
    threshold = max(
        SPEECH_ABSOLUTE_FLOOR_DB,
        loudest - SPEECH_BELOW_LOUDEST_DB,
        noise + SPEECH_ABOVE_NOISE_DB,
    )
    active = levels > threshold
    runs = _runs(active)
    bridge = round(SPEECH_GAP_BRIDGE_SECONDS / FRAME_SECONDS)
    merged: list[list[int]] = []
    for start, end in runs:
        if merged and start - merged[-1][1] <= bridge:
            merged[-1][1] = end
        else:
            merged.append([start, end])
    shortest = round(SPEECH_MIN_SEGMENT_SECONDS / FRAME_SECONDS)
    merged = [run for run in merged if run[1] - run[0] >= shortest]
    if merged:
        edge = max(noise + EDGE_ABOVE_NOISE_DB, SPEECH_ABSOLUTE_FLOOR_DB - 10.0)
        reach = round(EDGE_EXTENSION_SECONDS / FRAME_SECONDS)
        first, last = merged[0], merged[-1]
        limit = max(0, first[0] - reach)
        while first[0] > limit and levels[first[0] - 1] > edge:
            first[0] -= 1
        limit = min(levels.size, last[1] + reach)
        while last[1] < limit and levels[last[1]] > edge:
            last[1] += 1
    segments = tuple((s * FRAME_SECONDS, e * FRAME_SECONDS) for s, e in merged)
    return SpeechActivity(segments, loudest, noise, threshold)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Half-open index ranges where `mask` is true."""
    padded = np.concatenate(([False], mask, [False]))
    changes = np.flatnonzero(padded[1:] != padded[:-1])
    return list(zip(changes[0::2].tolist(), changes[1::2].tolist(), strict=True))


def clipped_ratio(samples: np.ndarray) -> float:
    """Share of samples at (or, after lossy coding, around) full scale."""
    if samples.size == 0:
        return 0.0
    return float(np.count_nonzero(np.abs(samples) >= CLIP_LEVEL)) / samples.size
