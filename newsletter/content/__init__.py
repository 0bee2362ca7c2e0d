"""Stage 1, the issue file: the content model, its field types, YAML loading with every
problem at its line, did-you-mean, the starter issue, and finding an issue's project.

Imports only the shared basics (config, errors, values). See ARCHITECTURE.md.
"""
