"""OTC specifics the runbooks check against: OFD data files, calendar data."""
