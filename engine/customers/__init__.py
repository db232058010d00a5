"""One customer: the customer list and detail, search, hand edits (merge, split, DM), the contact log, DM eligibility and erasure on request."""
