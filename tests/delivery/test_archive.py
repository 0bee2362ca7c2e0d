import json

import pytest
from render_fixtures import make_config, make_issue

from newsletter.config import Config
from newsletter.delivery import archive
from newsletter.render.issue import RenderedIssue, render_issue
from newsletter.state import Connection, connect


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    return make_config(tmp_path_factory.mktemp("project"))


@pytest.fixture(scope="module")
def rendered(config: Config) -> RenderedIssue:
    return render_issue(make_issue(intro="Hej {{ name }} på {{ organisation }}!"), config)


pytestmark = pytest.mark.usefixtures("state_engine")


def test_publish_stores_the_web_version_with_nothing_personal(
    db: Connection, config: Config, rendered: RenderedIssue
) -> None:
    archive.publish(db, config, rendered)
    stored = archive.issue(db, "test", "2020-03")
    assert stored is not None
    assert (stored.title, stored.subject, stored.language) == (
        "Nyheter i september",
        "Nyheter i september",
        "sv",
    )
    assert stored.issue_date is None and stored.date == stored.published_at[:10]
    html = archive.web_version(db, "test", "2020-03")
    text = archive.text_version(db, "test", "2020-03")
    assert html is not None and text is not None
    assert "Hej på!" in html and "Hej på!" in text
    assert "/u/" not in html + text
    assert 'href="https://nyhetsbrev.example.org/test/"' in html
    assert "https://nyhetsbrev.example.org/test/2020-03/" in html
    # No placeholder is left for anyone to fill.
    assert "z" + rendered.html.split('href="z', 1)[1][:12] not in html
    assert archive.web_version(db, "test", "1999-01") is None


def test_calendar_files_are_kept_by_name(
    db: Connection, config: Config, rendered: RenderedIssue
) -> None:
    archive.publish(db, config, rendered)
    files = archive.calendar_files(db, "test", "2020-03")
    assert sorted(files) == sorted(rendered.calendar) and len(files) == 4
    name = next(iter(files))
    ics = archive.calendar_file(db, "test", "2020-03", name)
    assert ics is not None and ics.startswith("BEGIN:VCALENDAR\r\n")
    assert archive.calendar_file(db, "test", "2020-03", "nope.ics") is None
    assert archive.calendar_files(db, "test", "1999-01") == {}
    # The URLs in the web version lead to the stored files.
    assert f"https://nyhetsbrev.example.org/test/2020-03/{name}" in rendered.html


def test_publishing_again_replaces_the_content_but_keeps_the_date(
    db: Connection, config: Config, rendered: RenderedIssue
) -> None:
    archive.publish(db, config, rendered)
    db.execute("UPDATE archive SET published_at = '2020-03-01T08:00:00Z'")
    changed = render_issue(make_issue(title="Rättad rubrik"), config)
    archive.publish(db, config, changed)
    stored = archive.issue(db, "test", "2020-03")
    assert stored is not None and stored.title == "Rättad rubrik"
    assert stored.published_at == "2020-03-01T08:00:00Z"
    assert db.execute("SELECT count(*) FROM archive").fetchone()[0] == 1


def test_publish_works_inside_a_callers_transaction(
    db: Connection, config: Config, rendered: RenderedIssue
) -> None:
    from newsletter.state import transaction

    with transaction(db):
        archive.publish(db, config, rendered)
    assert archive.newsletters(db) == ["test"]


def test_issues_are_listed_newest_first(
    db: Connection, config: Config, rendered: RenderedIssue
) -> None:
    archive.publish(db, config, rendered)
    dated = render_issue(make_issue(number=None, year=None, date="2021-02-01"), config)
    archive.publish(db, config, dated)
    older = render_issue(make_issue(number=1, year=2019), config)
    archive.publish(db, config, older)
    # An issue without a date of its own is dated by its publication.
    db.execute("UPDATE archive SET published_at = '2019-01-10T08:00:00Z' WHERE slug = '2019-01'")
    db.execute("UPDATE archive SET published_at = '2020-09-01T08:00:00Z' WHERE slug = '2020-03'")
    assert [i.slug for i in archive.issues(db, "test")] == ["2021-02-01", "2020-03", "2019-01"]
    assert archive.issues(db, "other") == []
    assert json.loads(db.execute("SELECT calendar FROM archive LIMIT 1").fetchone()[0])


def test_the_state_database_of_a_project_has_the_table(config: Config) -> None:
    db = connect(config)
    assert archive.newsletters(db) == []
