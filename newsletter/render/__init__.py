"""Stage 2, rendering: an issue once to MJML, HTML (mjml-python, premailer), plain text and
calendar files, in its language; placeholders for what differs per recipient, and
filling them in.

Imports the shared basics and content. See ARCHITECTURE.md.
"""
