"""A request body that stalls is answered 408 in the caller's format (a slow client cannot
hold connections open for ever); a body that keeps coming, however slowly, is read whole."""

import asyncio
import json
import time
from collections.abc import Sequence

from tests.forms.conftest import CONTACT, aged_token, submissions

STALL = 0.5  # the app's body read timeout in these tests, in seconds


async def raw_post(
    client,
    head: dict[str, str],
    chunks: Sequence[bytes],
    *,
    pause: float = 0.0,
    then_wait: float = 5.0,
) -> tuple[int, dict[str, str], bytes, float]:
    """Send a POST's head and `chunks` over a raw socket, `pause` seconds apart, then wait
    (at most `then_wait` seconds) for the answer: status, headers, body, seconds it took."""
    reader, writer = await asyncio.open_connection(client.server.host, client.server.port)
    started = time.monotonic()
    try:
        lines = [f"POST /forms/{CONTACT} HTTP/1.1", "Host: forms.test"]
        lines += [f"{name}: {value}" for name, value in head.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        for chunk in chunks:
            writer.write(chunk)
            await writer.drain()
            await asyncio.sleep(pause)
        async with asyncio.timeout(then_wait):
            status_line = await reader.readline()
            headers: dict[str, str] = {}
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
    finally:
        writer.close()
    return int(status_line.split()[1]), headers, body, time.monotonic() - started


def json_head(length: int) -> dict[str, str]:
    return {"Content-Type": "application/json", "Content-Length": str(length)}


async def test_a_json_body_that_stalls_is_408_in_json(make_client, db):
    client = await make_client(body_timeout_seconds=STALL)
    body = json.dumps({"name": "Slow Loris", "_token": aged_token()}).encode()
    status, headers, answer, took = await raw_post(client, json_head(len(body)), [body[:10]])
    assert status == 408 and took < STALL * 3 + 1
    assert json.loads(answer) == {
        "ok": False,
        "errors": {
            "_form": "The form took too long to arrive: nothing was sent. Please try again."
        },
    }
    assert headers["connection"] == "close"
    assert await submissions() == []


async def test_a_body_that_never_starts_is_408(make_client, db):
    client = await make_client(body_timeout_seconds=STALL)
    status, _, _, _ = await raw_post(client, json_head(100), [])
    assert status == 408


async def test_a_browser_form_that_stalls_gets_a_408_page_in_its_language(make_client, db):
    client = await make_client(body_timeout_seconds=STALL)
    head = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Content-Length": "500",
        "Accept": "text/html",
        "Accept-Language": "fr",
    }
    status, headers, page, _ = await raw_post(client, head, [b"name=Lent&email=lent%40x.fr"])
    assert status == 408 and headers["content-type"].startswith("text/html")
    assert "Le formulaire a mis trop de temps à arriver" in page.decode()


def multipart(boundary: str, fields: dict[str, str], file_size: int, piece: int) -> list[bytes]:
    """A multipart body of `fields` and one file of `file_size` bytes, in pieces."""
    head = b""
    for name, value in fields.items():
        head += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        ).encode()
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="cv"; filename="cv.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    data = b"x" * file_size
    tail = f"\r\n--{boundary}--\r\n".encode()
    return [head, *(data[i : i + piece] for i in range(0, file_size, piece)), tail]


FIELDS = {
    "name": "Marie Curie",
    "email": "marie@example.fr",
    "consent": "on",
}


async def test_a_multipart_upload_that_keeps_coming_is_not_cut(make_client, admin):
    """Slower in all than the timeout, but never silent that long: read whole."""
    client = await make_client(body_timeout_seconds=STALL)
    boundary = "carnetboundary"
    chunks = multipart(boundary, {**FIELDS, "_token": aged_token()}, 12_000, 1_000)
    head = {
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Content-Length": str(sum(len(c) for c in chunks)),
        "Accept": "application/json",
    }
    status, _, answer, took = await raw_post(client, head, chunks, pause=STALL / 3)
    assert took > STALL * 3  # far longer than the timeout in all
    assert status in (201, 202), answer
    assert json.loads(answer)["ok"] is True
    assert [s.payload["name"] for s in await submissions()] == ["Marie Curie"]


async def test_a_multipart_upload_that_stalls_half_way_is_408(make_client, db):
    client = await make_client(body_timeout_seconds=STALL)
    boundary = "carnetboundary"
    chunks = multipart(boundary, {**FIELDS, "_token": aged_token()}, 12_000, 1_000)
    head = {
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Content-Length": str(sum(len(c) for c in chunks)),
        "Accept": "application/json",
    }
    status, _, _, _ = await raw_post(client, head, chunks[:5], pause=STALL / 5)
    assert status == 408
    assert await submissions() == []
