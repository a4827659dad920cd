"""Customers calling back: the account's numbers, routing a callback to the right seller, the
voicemail and notification when the seller cannot take it, and the records of every callback."""
