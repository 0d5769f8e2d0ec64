"""One booking per plan, ever: 20 simultaneous confirms give the same booking."""

from sqlalchemy import func, select

from luna.models import Booking
from tests.factories import create_plan, create_user, create_venue
from tests.live import post_all_at_once

CALLERS = 20


def test_concurrent_confirms_make_one_booking(app, client, db_session):
    organizer, guest = create_user(client), create_user(client)
    venue = create_venue(client)
    plan = create_plan(client, organizer["id"], venue["id"], [guest["id"]])
    responses = post_all_at_once(app, f"/plans/{plan['id']}/confirm", CALLERS)

    assert [r.status_code for r in responses] == [200] * CALLERS
    bodies = [r.json() for r in responses]
    assert {b["booking_id"] for b in bodies} == {bodies[0]["booking_id"]}
    assert {b["status"] for b in bodies} == {"confirmed"}
    assert db_session.scalar(select(func.count()).select_from(Booking)) == 1
    mock = app.state.providers.get("mock")
    assert list(mock.booked) == [bodies[0]["booking"]["external_ref"]]
    assert bodies[0]["booking"]["party_size"] == 1  # only the organizer has accepted
