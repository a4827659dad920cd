"""Segments: saved, named filters over the contacts, compiled to one SQL condition."""
