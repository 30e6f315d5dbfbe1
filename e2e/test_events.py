"""Live progress: `GET /v1/generations/{id}/events` as Server-Sent Events, with a reconnect by `Last-Event-ID`."""

import json

import requests

from conftest import submit_async


def events(response: requests.Response):
    """Yields (id, event, data) for each event of an SSE stream, as the HTML standard's parser reads them."""
    fields: dict[str, str] = {}
    for raw in response.iter_lines(decode_unicode=True):
        if raw == "":
            if "data" in fields:
                yield int(fields.get("id", "0")), fields.get("event", "message"), json.loads(fields["data"])
            fields = {}
            continue
        if raw.startswith(":"):
            continue
        name, _, value = raw.partition(":")
        fields[name] = value[1:] if value.startswith(" ") else value


def test_a_client_that_reconnects_sees_every_step_once_and_the_end(server_factory):
    base, key, _ = server_factory()
    auth = {"Authorization": f"Bearer {key}"}
    created = submit_async(base, key, prompt="four lanterns on a lake", num_images=4)
    assert created.status_code == 202
    generation = created.json()["generation_id"]
    url = f"{base}/v1/generations/{generation}/events"

    # The first connection drops after its first event.
    with requests.get(url, headers=auth, stream=True, timeout=60) as first:
        assert first.status_code == 200
        assert first.headers["Content-Type"].startswith("text/event-stream")
        seen = [next(events(first))]

    # The reconnection says what it saw and gets only the rest, up to the final event; then the server closes.
    with requests.get(url, headers={**auth, "Last-Event-ID": str(seen[0][0])}, stream=True, timeout=60) as second:
        seen += list(events(second))

    ids = [event_id for event_id, _, _ in seen]
    assert ids == sorted(set(ids)), f"each step once, in order: {ids}"
    last_id, last_name, last_data = seen[-1]
    assert (last_id, last_name) == (3, "completed")
    assert last_data["generation_id"] == generation
    assert last_data["status"] == "completed" and len(last_data["images"]) == 4
    shown = requests.get(f"{base}/v1/generations/{generation}", headers=auth, timeout=10).json()
    # The attempts are the owner's view of one generation only (GET), never in an event's body.
    assert shown.pop("attempts") == [{"provider": "local", "outcome": "completed"}]
    assert last_data == shown

    # Everything seen: the stream is empty and closed at once.
    done = requests.get(url, headers={**auth, "Last-Event-ID": "3"}, timeout=10)
    assert done.status_code == 200 and done.text == ""

    # Another account's key, or no key, sees nothing.
    assert requests.get(url, timeout=10).status_code == 401
    assert requests.get(f"{base}/v1/generations/gen_unknown/events", headers=auth, timeout=10).status_code == 404


def test_the_upstreams_queue_position_is_streamed_while_fal_queues_the_request(server_factory, emulator_factory):
    # Requests wait 3 s in fal's queue: the later ones see others ahead of them, then their place shrink.
    fal = emulator_factory("--queue-latency", "3s", "--latency", "200ms")
    base, key, _ = server_factory("--provider", "fal", "--fal-queue-url", fal, "--fal-key", "test")
    auth = {"Authorization": f"Bearer {key}"}
    ids = [submit_async(base, key, prompt=f"queued {i}").json()["generation_id"] for i in range(3)]
    with requests.get(f"{base}/v1/generations/{ids[-1]}/events", headers=auth, stream=True, timeout=60) as stream:
        seen = list(events(stream))
    names = [name for _, name, _ in seen]
    assert names[-1] == "completed", names
    places = [data["queue_position"] for _, name, data in seen if name == "queue_position"]
    assert places, f"no queue_position event: {names}"
    assert all(isinstance(place, int) and place >= 0 for place in places)
    assert places == sorted(places, reverse=True), f"a place only shrinks: {places}"
    assert seen[-1][2]["queue_position"] is None, "no place once it ended"
