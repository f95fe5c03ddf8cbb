"""The people's opinions (群众意见): intake, analysis, assignment, supervision, feedback and rating."""
