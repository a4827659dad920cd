"""Audio, pure: decode, trim, loudness, telephone formats, quality checks, storage.

This package imports neither Flask nor the rest of Voicecast; the recording studio issue fills it.
"""
