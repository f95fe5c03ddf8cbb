"""How an office organises its deputies: the standing committee, bodies, groups and stations."""
