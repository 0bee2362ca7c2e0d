"""Stage 7, the returning mail: reading the return mailbox (mbox, Maildir, .eml), delivery
reports and complaints, and importing them into the suppression list.

Imports the shared basics and the stages before it (never web). See ARCHITECTURE.md.
"""
