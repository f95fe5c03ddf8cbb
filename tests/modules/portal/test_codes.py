"""代表码 images (PNG and SVG, per deputy and per station) and the printable PDF sheet of a station."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import segno
from PIL import Image

from renda.modules.portal import codes
from tests.conftest import make_caller
from tests.modules.portal.support import A, B, add_deputy, add_station, fresh_term, offices, pdf_text, png_photo, unique

PUBLIC_URL = "http://testserver.local"  # the test settings' RENDA_PUBLIC_URL
SVG = "{http://www.w3.org/2000/svg}"


def png_matrix(content: bytes, scale: int = codes.PNG_SCALE, border: int = codes.BORDER) -> list[list[bool]]:
    """Read the modules back out of the PNG: dark or light at the centre of each module."""
    image = Image.open(io.BytesIO(content)).convert("L")
    modules = image.width // scale - 2 * border
    assert image.width == image.height == (modules + 2 * border) * scale
    return [
        [
            image.getpixel(((border + x) * scale + scale // 2, (border + y) * scale + scale // 2)) < 128
            for x in range(modules)
        ]
        for y in range(modules)
    ]


def expected_matrix(url: str) -> list[list[bool]]:
    return [[bool(bit) for bit in row] for row in segno.make_qr(url, error="m").matrix]


async def test_deputy_and_station_codes_encode_their_public_pages(client, database) -> None:
    await offices(database)
    person = await add_deputy(A, await fresh_term(A), unique("宜君"), public_fields=["name"])
    station = await add_station(A, unique("宜君县宜阳街道代表之家"), deputies=[person])
    for kind, item in (("deputies", person), ("stations", station)):
        url = f"{PUBLIC_URL}/p/{A}/{kind}/{item}"
        png = await client.get(f"/p/{A}/{kind}/{item}/qr.png")
        assert png.status_code == 200 and png.headers["content-type"] == "image/png"
        assert png.content.startswith(b"\x89PNG\r\n\x1a\n") and len(png.content) < 20_000
        assert png_matrix(png.content) == expected_matrix(url)
        assert "max-age=86400" in png.headers["cache-control"] and "public" in png.headers["cache-control"]
        again = await client.get(f"/p/{A}/{kind}/{item}/qr.png", headers={"If-None-Match": png.headers["etag"]})
        assert again.status_code == 304 and not again.content

        svg = await client.get(f"/p/{A}/{kind}/{item}/qr.svg")
        assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
        assert "max-age" in svg.headers["cache-control"] and svg.headers["x-content-type-options"] == "nosniff"
        assert "default-src 'none'" in svg.headers["content-security-policy"]
        root = ET.fromstring(svg.content)  # well-formed XML
        assert root.tag == f"{SVG}svg"
        assert root.find(f"{SVG}desc").text == url
        # The drawn modules are exactly segno's for that address.
        reference = io.BytesIO()
        segno.make_qr(url, error="m").save(reference, kind="svg", scale=4, border=codes.BORDER)
        drawn = root.find(f"{SVG}path").get("d")
        assert drawn == ET.fromstring(reference.getvalue()).find(f"{SVG}path").get("d")


async def test_station_sheet_is_a_pdf_with_its_deputies(client, database) -> None:
    await offices(database)
    term = await fresh_term(A)
    names = [unique("宜君甲"), unique("宜君乙")]
    with_photo = await add_deputy(A, term, names[0], public_fields=["name", "levels", "photo"], photo=png_photo())
    plain = await add_deputy(A, term, names[1], public_fields=["name"])
    gone_name = unique("宜君丙")
    gone = await add_deputy(A, term, gone_name, public_fields=["name"], ended=True)
    station_name = unique("宜君县宜阳街道人大代表联络站")
    station = await add_station(A, station_name, deputies=[with_photo, plain, gone])
    staff = await make_caller(database, "宜君县代表工委打印", {A: ["staff"]})

    sheet = await client.get(f"/t/{A}/portal/stations/{station}/qr-sheet.pdf", headers=staff.headers)
    assert sheet.status_code == 200, sheet.text
    assert sheet.headers["content-type"] == "application/pdf" and sheet.content.startswith(b"%PDF-")
    text = "".join(pdf_text(sheet.content).split())  # a long name may wrap onto two lines
    assert names[0] in text and names[1] in text and station_name in text and "代表码" in text
    assert "县人大代表" in text  # the levels of the deputy who publishes them
    assert gone_name not in text
    assert "共1页" in text  # A4: the page footer
    assert re.search(rb"/Subtype ?/Image[^>]*/DCTDecode", sheet.content)  # the public photo, as a JPEG

    empty = await add_station(A, unique("宜君县空站"))
    blank = await client.get(f"/t/{A}/portal/stations/{empty}/qr-sheet.pdf", headers=staff.headers)
    assert blank.status_code == 200 and "暂无在任的进站代表" in pdf_text(blank.content)


async def test_sheet_is_for_the_office_staff_only(client, database) -> None:
    await offices(database)
    station = await add_station(A, unique("宜君县联络站"))
    other_station = await add_station(B, unique("印台区联络站"))
    staff_b = await make_caller(database, "印台区代表工委", {B: ["staff"]})
    staff_a = await make_caller(database, "宜君县代表工委", {A: ["staff"]})
    deputy_a = await make_caller(database, "宜君县代表本人", {A: ["deputy"]})
    viewer_a = await make_caller(database, "宜君县只读", {A: ["viewer"]})

    refused = await client.get(f"/t/{A}/portal/stations/{station}/qr-sheet.pdf", headers=staff_b.headers)
    assert refused.status_code == 403 and refused.json()["code"] == "not_a_member"
    crossed = await client.get(f"/t/{A}/portal/stations/{other_station}/qr-sheet.pdf", headers=staff_a.headers)
    assert crossed.status_code == 404 and crossed.json()["code"] == "station_not_found"
    no_right = await client.get(f"/t/{A}/portal/stations/{station}/qr-sheet.pdf", headers=deputy_a.headers)
    assert no_right.status_code == 403
    assert (
        await client.get(f"/t/{A}/portal/stations/{station}/qr-sheet.pdf", headers=viewer_a.headers)
    ).status_code == 200
    client.cookies.clear()
    anonymous = await client.get(f"/t/{A}/portal/stations/{station}/qr-sheet.pdf")
    assert anonymous.status_code == 401
    assert (
        await client.get(f"/t/{A}/portal/stations/not-a-uuid/qr-sheet.pdf", headers=staff_a.headers)
    ).status_code == 404
    # A station of another office through this office's public codes: not there either.
    assert (await client.get(f"/p/{A}/stations/{other_station}/qr.png")).status_code == 404
