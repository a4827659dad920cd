"""What the caller can tune about processing, with the defaults the issue asks for."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProcessingSettings:
    """Targets and limits for one recording. Invalid values raise ValueError at creation."""

    target_lufs: float = -19.0  # integrated loudness of the carrier file
    true_peak_dbtp: float = -1.5  # ceiling the carrier file's true peak never exceeds
    min_speech_seconds: float = 5.0  # less speech than this is rejected as too short
    max_duration_seconds: float = 60.0  # a longer message (after trimming) is rejected
    max_bytes: int = 20 * 1024 * 1024  # larger uploads are rejected before decoding
    keep_silence_ms: int = 150  # silence kept before the first and after the last word

    def __post_init__(self) -> None:
        if not -70.0 < self.target_lufs < 0.0:
            raise ValueError(f"target_lufs must be between -70 and 0, not {self.target_lufs}")
        if not -20.0 <= self.true_peak_dbtp <= 0.0:
            raise ValueError(f"true_peak_dbtp must be between -20 and 0, not {self.true_peak_dbtp}")
        if self.min_speech_seconds < 0:
            raise ValueError("min_speech_seconds must not be negative")
        if self.max_duration_seconds <= 0:
            raise ValueError("max_duration_seconds must be positive")
        if self.min_speech_seconds > self.max_duration_seconds:
            raise ValueError("min_speech_seconds must not exceed max_duration_seconds")
        if self.max_bytes <= 0:
            raise ValueError("max_bytes must be positive")
        if not 0 <= self.keep_silence_ms <= 5000:
            raise ValueError("keep_silence_ms must be between 0 and 5000")


DEFAULT_SETTINGS = ProcessingSettings()
