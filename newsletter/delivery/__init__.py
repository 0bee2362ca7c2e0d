"""Stage 5, delivery: plan and freeze a send in the journal, build one MIME message per
recipient (headers, quoted-printable, DKIM), send them through the SMTP pool or into the
outbox at the allowed rate, record every reply, write the receipt, publish the archive.

Imports the shared basics and the stages before it. See ARCHITECTURE.md.
"""
