"""Background work: the dramatiq broker, the transactional outbox, the scheduler and the actors."""
