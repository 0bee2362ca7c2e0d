"""Stage 3, the audience: subscriber lists (CSV as Excel writes it), addresses, the
suppression list, unsubscribe tokens and requests, data-protection requests.

Imports the shared basics, content and render. See ARCHITECTURE.md.
"""
