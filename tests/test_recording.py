import json

from qtui.recording import parse_lines, read_stream


def test_recording_reads_envelopes_and_relay_frames_and_reports_bad_lines(tmp_path):
    good = {"event": "page.deleted", "timestamp": "2025-04-01T10:00:00Z", "data": {"id": "p"}}
    frame = {"seq": 7, "envelope": good, "verified": True}
    path = tmp_path / "run.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps(good),
                "",
                '{"event": "page.created", "timestamp": "2025-04-01T10:00:00Z", "data": {"id"',
                json.dumps(frame),
                json.dumps(
                    {"event": "page.created", "timestamp": "2025-04-01T10:00:00Z", "data": 3}
                ),
                "[]",
            ]
        )
    )
    lines = read_stream(path)
    assert [line.lineno for line in lines] == [1, 3, 4, 5, 6]
    assert lines[2].seq == 7 and lines[2].verified is True
    parsed = parse_lines(lines)
    assert [p.event is not None for p in parsed] == [True, False, True, False, False]
    assert parsed[1].error.startswith("invalid JSON at column")
    assert parsed[3].error == "data: expected an object in page.created event"
    assert parsed[4].error == "expected a JSON object"
