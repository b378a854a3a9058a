"""On PostgreSQL, no host of booked meetings is ever in two at once: the organiser (the event's
owner) and every co-host of a team booking (an attendee with ``host``, unless they declined).

``booked_events_never_overlap`` (0002) guards the organiser alone: a co-host's meetings are rows
of another table, which an exclusion constraint on events cannot see. Here a table only the
database maintains, ``scheduling_host_time`` (one row per host and booked meeting, kept by
triggers on events and attendees), carries an exclusion constraint over every host's times. A
write that would double-book anyone fails with an exclusion violation, which booking turns into
"That time was just taken" (booking/book.py). It is the last guard behind the host row locks
taken in id order. SQLite has no exclusion constraints; there the IMMEDIATE transaction and the
re-check under the locks are the guard.
"""

from django.db import migrations

FORWARD = [
    """
    CREATE TABLE scheduling_host_time (
        host_id bigint NOT NULL,
        event_id bigint NOT NULL,
        during tstzrange NOT NULL,
        PRIMARY KEY (host_id, event_id),
        CONSTRAINT hosts_never_double_booked EXCLUDE USING gist (host_id WITH =, during WITH &&)
    )
    """,
    """
    CREATE FUNCTION scheduling_host_time_refresh(changed bigint) RETURNS void AS $$
    BEGIN
        DELETE FROM scheduling_host_time WHERE event_id = changed;
        INSERT INTO scheduling_host_time (host_id, event_id, during)
        SELECT e.owner_id, e.id, tstzrange(e.start, e."end")
        FROM scheduling_event e
        WHERE e.id = changed AND e.origin = 'booking' AND e.status <> 'cancelled'
        UNION
        SELECT a.host_id, e.id, tstzrange(e.start, e."end")
        FROM scheduling_event e JOIN scheduling_attendee a ON a.event_id = e.id
        WHERE e.id = changed AND e.origin = 'booking' AND e.status <> 'cancelled'
          AND a.host_id IS NOT NULL AND a.status <> 'declined' AND a.host_id <> e.owner_id;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE FUNCTION scheduling_host_time_on_event() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'TRUNCATE' THEN
            DELETE FROM scheduling_host_time;
        ELSIF TG_OP = 'DELETE' THEN
            DELETE FROM scheduling_host_time WHERE event_id = OLD.id;
        ELSE
            PERFORM scheduling_host_time_refresh(NEW.id);
        END IF;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE FUNCTION scheduling_host_time_on_attendee() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'TRUNCATE' THEN
            DELETE FROM scheduling_host_time;
            PERFORM scheduling_host_time_refresh(id) FROM scheduling_event WHERE origin = 'booking';
            RETURN NULL;
        END IF;
        IF TG_OP <> 'INSERT' AND OLD.host_id IS NOT NULL THEN
            PERFORM scheduling_host_time_refresh(OLD.event_id);
        END IF;
        IF TG_OP <> 'DELETE' AND NEW.host_id IS NOT NULL THEN
            PERFORM scheduling_host_time_refresh(NEW.event_id);
        END IF;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER scheduling_host_time_event
    AFTER INSERT OR UPDATE OF owner_id, origin, status, start, "end" OR DELETE ON scheduling_event
    FOR EACH ROW EXECUTE FUNCTION scheduling_host_time_on_event()
    """,
    """
    CREATE TRIGGER scheduling_host_time_event_truncate AFTER TRUNCATE ON scheduling_event
    FOR EACH STATEMENT EXECUTE FUNCTION scheduling_host_time_on_event()
    """,
    """
    CREATE TRIGGER scheduling_host_time_attendee
    AFTER INSERT OR UPDATE OF host_id, status, event_id OR DELETE ON scheduling_attendee
    FOR EACH ROW EXECUTE FUNCTION scheduling_host_time_on_attendee()
    """,
    """
    CREATE TRIGGER scheduling_host_time_attendee_truncate AFTER TRUNCATE ON scheduling_attendee
    FOR EACH STATEMENT EXECUTE FUNCTION scheduling_host_time_on_attendee()
    """,
    "SELECT scheduling_host_time_refresh(id) FROM scheduling_event WHERE origin = 'booking'",
]

BACKWARD = [
    "DROP TRIGGER IF EXISTS scheduling_host_time_attendee_truncate ON scheduling_attendee",
    "DROP TRIGGER IF EXISTS scheduling_host_time_attendee ON scheduling_attendee",
    "DROP TRIGGER IF EXISTS scheduling_host_time_event_truncate ON scheduling_event",
    "DROP TRIGGER IF EXISTS scheduling_host_time_event ON scheduling_event",
    "DROP FUNCTION IF EXISTS scheduling_host_time_on_attendee()",
    "DROP FUNCTION IF EXISTS scheduling_host_time_on_event()",
    "DROP FUNCTION IF EXISTS scheduling_host_time_refresh(bigint)",
    "DROP TABLE IF EXISTS scheduling_host_time",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0011_attendee_cohost")]

    operations = [migrations.RunPython(forward, backward)]
