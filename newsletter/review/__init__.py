"""Stage 4, review before the send: the live preview in the browser.

Imports the shared basics and the stages before it. See ARCHITECTURE.md.
"""
