"""`neuroregen import redcap` of a file that cannot be decoded: a clear message, exit 1."""

from __future__ import annotations

import pytest

from neuroregen.cli import main
from neuroregen.core.errors import ValidationFailed
from neuroregen.core.uploads import decode_text
from tests.instruments.builders import active_protocol

pytestmark = pytest.mark.django_db


def _utf16_odd(text: str = "record_id,redcap_event_name\n1,baseline_arm_1\n") -> bytes:
    # a UTF-16 file cut one byte into its last character (a truncated copy or download)
    return "\ufeff".encode("utf-16-le") + text.encode("utf-16-le") + b"\x31"


def test_utf16_of_odd_length_is_a_decode_error_not_a_crash():
    data = _utf16_odd()
    assert len(data) % 2 == 1
    with pytest.raises(ValidationFailed) as caught:
        decode_text(data)
    assert caught.value.field == "file"
    assert "UTF-16" in caught.value.message


def test_forced_codec_that_fails_is_a_specific_message():
    with pytest.raises(ValidationFailed, match="utf-16"):
        decode_text(_utf16_odd(), encoding="utf-16")


def test_command_line_import_exits_non_zero_without_a_traceback(tmp_path, capsys, coordinator_a):
    active_protocol()
    path = tmp_path / "records.csv"
    path.write_bytes(_utf16_odd())
    with pytest.raises(SystemExit) as exited:
        main(
            [
                "import",
                "redcap",
                str(path),
                "--protocol",
                "NR-CELL-01",
                "--user",
                coordinator_a.username,
                "--skip-checks",
            ]
        )
    assert exited.value.code not in (0, None)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "UTF-16" in err
