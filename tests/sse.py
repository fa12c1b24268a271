"""Reading a server-sent event stream in tests: (event, id, data) triples."""

import json


def read_sse(response, stop_after_points: int | None = None) -> list[tuple[str, int | None, dict]]:
    """Until an "end" event, or until that many points were read (to drop the connection mid-run)."""
    events, event, event_id, points = [], None, None, 0
    for line in response.iter_lines():
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("id: "):
            event_id = int(line[4:])
        elif line.startswith("data: "):
            events.append((event, event_id, json.loads(line[6:])))
            points += event == "point"
            if event == "end" or (stop_after_points and points >= stop_after_points):
                return events
            event, event_id = None, None
    return events
