"""Journeys: steps that put each contact into a campaign at a moment of their life with the car
(a date attribute plus an offset), once, on the right local day (issue 21)."""
