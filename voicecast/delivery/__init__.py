"""The delivery engine inside the application: planning, claiming due deliveries, pacing, and
the call state machine driven by the carrier's webhooks. The jobs in `workers.campaigns` call it.
"""
