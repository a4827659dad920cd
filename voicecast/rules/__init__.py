"""Calling rules: the country presets an account calls under (hours, public holidays, attempt
caps, silence after a refusal, legal basis, caller ID), and the schedule a campaign calls on."""
