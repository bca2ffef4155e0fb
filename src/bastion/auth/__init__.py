"""Who is asking: users, passwords, API keys, web sessions, and the principal they resolve to."""
