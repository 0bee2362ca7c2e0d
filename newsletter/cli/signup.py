"""`newsletter signup-form`: the sign-up form for the organisation's own website."""

from __future__ import annotations

__all__ = ["COMMANDS", "signup_form"]

import click

from newsletter.translate import _


@click.command("signup-form")
@click.argument("newsletter")
def signup_form(newsletter: str) -> None:
    """Print an HTML sign-up form for NEWSLETTER to paste into your website.

    The form posts to `newsletter serve` at base_url, which asks the reader to send it
    once more from its own page and then mails a confirmation link; only the confirmed
    become subscribers. Sign-up must be on for the newsletter (signup = true and
    privacy_url in newsletter.toml). The same form is at /NEWSLETTER/subscribe.

    \b
    Example:
        newsletter signup-form medborgardialog > anmalan.html
    """
    from newsletter.cli.project import load_project
    from newsletter.web.embed import snippet

    config = load_project()
    settings = config.newsletter(newsletter)
    click.echo(snippet(config, settings), nl=False)
    if not config.base_url.startswith("https://"):
        click.echo(
            _(
                "Warning: base_url is {base_url}, not https: browsers warn about a form that "
                "sends addresses unencrypted, and pages served over https may block it. Set "
                "base_url to the public https address of `newsletter serve`."
            ).format(base_url=config.base_url),
            err=True,
        )


COMMANDS: list[click.Command] = [signup_form]
