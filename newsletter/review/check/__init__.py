"""`newsletter check`: everything that would embarrass the editor, found before the send.

The findings model and its output (`findings`), where things are in the issue (`places`),
what is visited (`targets`); links and images (`links`, `fetch`, `cache`) over the
network as the check sees it (`network`); mailto: domains (`mailto`); the sender's DNS
records (`sender`, `spf`, `dkimkey`, `domains`); base_url and the web side (`website`);
the content against its own data (`content`, `prose`); personal fields against the lists
(`personal`); size and spam (`spam`); and the whole check (`run`).
"""
