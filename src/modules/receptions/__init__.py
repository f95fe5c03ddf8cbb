"""Deputies' contact with the people at stations: reception calendar, rosters, reception records."""
