"""Outcomes (issue 21, point 4): what the dealer's system says came of the customers
(appointments booked, repair orders, vehicles sold), each attributed to the last drop or
callback the contact had within the account's attribution window, and the reports that put
them beside drops, callbacks and cost for campaigns, journeys and sellers."""
