"""The tests' PDF reader reads every content stream, including a compressed one whose last byte is a
carriage return (about one stream in 256: the checksum's last byte), which it used to lose."""

from __future__ import annotations

import zlib

from tests.modules.portal.support import _streams


def test_a_compressed_stream_ending_in_a_carriage_return_is_read() -> None:
    shown = next(data for n in range(100_000) if zlib.compress(data := b"BT <%06x> Tj ET" % (n * 7919)).endswith(b"\r"))
    pdf = b"1 0 obj <<>> stream\n" + zlib.compress(shown) + b"\nendstream endobj"
    assert _streams(pdf) == [shown]
