"""Numbered schema migrations of the state database (see newsletter.state)."""
