"""Seller follow-through (issue 21, point 5): a missed callback's text carries a call-back
link; the button behind it rings the seller, then the customer from the dealership's number,
and the call back is kept with its outcome; the sellers' figures (answered rate, median time
to call back) are read from those rows."""
