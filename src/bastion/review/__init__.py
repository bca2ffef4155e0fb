"""Review operations: queues, routing, priority, leases, decisions, enforcement, appeals."""
