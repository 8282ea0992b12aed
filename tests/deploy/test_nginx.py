"""deploy/nginx/carnet.conf: Debian's nginx in front of a real `carnet serve`.

The site file is used as shipped except for its `listen` lines and the upstream's `server`
line, rewritten to free ports. Behind it run a real carnet process (SQLite in a temporary
folder, TRUST_PROXY=true, webhook mode) and the Bot API stand-in, which delivers updates to
the webhook URL carnet registers: nginx's address.
"""

import asyncio
import contextlib
import os
import re
import signal
import socket
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from forms.spam import Signer
from tests.deploy.tools import DEPLOY, ROOT, tool
from tests.telegram_stub import TelegramStub

pytestmark = [pytest.mark.own_database(half="postgres"), pytest.mark.slow]

SITE = DEPLOY / "nginx" / "carnet.conf"
FORMS_SECRET = "deploy-test-forms-secret-0123456789"
WEBHOOK_SECRET = "deploy-Test_secret-42"
ADMIN = 7001
FORGED = "6.6.6.6"
# The 404 page nginx writes itself (server_tokens off still signs it): nothing from carnet.
NGINX_PAGE = b"<center>nginx</center>"

MAIN_CONF = """\
daemon off;
master_process off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log info;
events {{ worker_connections 128; }}
http {{
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/carnet.conf;
}}
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def site_for_test(listen_port: int, carnet_port: int) -> str:
    """The shipped site with only its listen lines and the upstream's server line changed."""
    text = SITE.read_text()
    rewrites = [
        (r"^(\s*)listen 80;$", rf"\1listen 127.0.0.1:{listen_port};"),
        (r"^\s*listen \[::\]:80;\n", ""),  # IPv6 may be missing in a container
        (r"^(\s*)server 127\.0\.0\.1:8080;$", rf"\1server 127.0.0.1:{carnet_port};"),
    ]
    for pattern, replacement in rewrites:
        text, changed = re.subn(pattern, replacement, text, flags=re.M)
        assert changed == 1, f"{SITE}: expected one line matching {pattern!r}, found {changed}"
    return text


@dataclass
class Deployment:
    """The running trio: nginx on `port`, carnet behind it on `carnet_port`, the stand-in."""

    port: int
    carnet_port: int
    stub: TelegramStub
    database: Path
    folder: Path
    log: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def carnet_url(self) -> str:
        return f"http://127.0.0.1:{self.carnet_port}"

    def submissions(self) -> list[sqlite3.Row]:
        """The stored form submissions, oldest first (read straight from carnet's database)."""
        with contextlib.closing(sqlite3.connect(f"file:{self.database}?mode=ro", uri=True)) as db:
            db.row_factory = sqlite3.Row
            return db.execute(
                "SELECT id, status, reason, address_hash FROM form_submission ORDER BY id"
            ).fetchall()


async def _until(predicate: Callable[[], bool], what: str, within: float = 20.0) -> None:
    """Poll the state of another process (its log, its database, a port) until `predicate`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"{what}: not within {within} s")
        await asyncio.sleep(0.05)


async def _read_lines(stream: asyncio.StreamReader, lines: list[str]) -> None:
    while line := await stream.readline():
        lines.append(line.decode(errors="replace").rstrip())


async def _stop(process: asyncio.subprocess.Process, sig: int) -> None:
    if process.returncode is None:
        process.send_signal(sig)
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()


@pytest_asyncio.fixture(scope="module")
async def deployment(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Deployment]:
    nginx = tool("nginx", "/usr/sbin/nginx", package="nginx")
    folder = tmp_path_factory.mktemp("deploy")
    port, carnet_port = _free_port(), _free_port()
    (folder / "carnet.conf").write_text(site_for_test(port, carnet_port))
    (folder / "nginx.conf").write_text(MAIN_CONF.format(tmp=folder))
    command = [nginx, "-p", str(folder), "-c", str(folder / "nginx.conf"),
               "-e", str(folder / "error.log")]  # fmt: skip
    check = await asyncio.create_subprocess_exec(
        *command, "-t", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    said, _ = await check.communicate()
    assert check.returncode == 0, f"nginx -t refuses the site:\n{said.decode()}"

    database = folder / "carnet.sqlite3"
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
    async with TelegramStub(timeout=20) as stub:
        env = {k: v for k, v in os.environ.items() if k in keep}
        env.update(
            PYTHONPATH=str(ROOT),
            DATABASE_URL=f"sqlite://{database}",
            BOT_TOKEN="42:TEST",
            TELEGRAM_API_URL=stub.url,
            ADMIN_TELEGRAM_IDS=str(ADMIN),
            WEB_HOST="127.0.0.1",
            WEB_PORT=str(carnet_port),
            WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/webhook",
            WEBHOOK_SECRET=WEBHOOK_SECRET,
            TRUST_PROXY="true",
            FORMS_SECRET=FORMS_SECRET,
            FORMS_MIN_FILL_SECONDS="0",
        )
        carnet = [sys.executable, "-m", "app"]
        out = asyncio.subprocess.PIPE
        upgrade = await asyncio.create_subprocess_exec(
            *carnet, "db", "upgrade", cwd=folder, env=env, stdout=out, stderr=out
        )
        server = await asyncio.create_subprocess_exec(*command, cwd=folder)
        deployment = Deployment(port, carnet_port, stub, database, folder)
        serving = reader = None
        try:
            upgrade_out, upgrade_err = await asyncio.wait_for(upgrade.communicate(), 60)
            assert upgrade.returncode == 0, (upgrade_out + upgrade_err).decode()
            serving = await asyncio.create_subprocess_exec(
                *carnet, "serve", cwd=folder, env=env, stdout=out, stderr=asyncio.subprocess.STDOUT
            )
            assert serving.stdout is not None
            reader = asyncio.create_task(_read_lines(serving.stdout, deployment.log))
            await _until(
                lambda: (
                    any("web: listening on" in line for line in deployment.log)
                    or serving.returncode is not None
                ),
                "carnet serve listening",
            )
            assert serving.returncode is None, "\n".join(deployment.log)
            await stub.wait_for_call("setWebhook", within=20)
            await _until(lambda: _answers(port) or server.returncode is not None, "nginx up")
            assert server.returncode is None, (folder / "error.log").read_text()
            yield deployment
        finally:
            await _stop(server, signal.SIGTERM)
            if serving is not None:
                await _stop(serving, signal.SIGTERM)
            if reader is not None:
                await reader


def _answers(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


async def raw_request(
    port: int, method: str, target: str, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    """One request written byte for byte (no client normalizes the path): status and body."""
    lines = [f"{method} {target} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        async with asyncio.timeout(10):
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
            # By its length, not to the end: after a 413 nginx keeps the connection open a
            # while for the body it refused.
            length = re.search(r"^content-length: *(\d+)", head, flags=re.M)
            body = await (reader.readexactly(int(length[1])) if length else reader.read())
    finally:
        writer.close()
    return int(head.split()[1]), body


class _Inputs(HTMLParser):
    """The hidden inputs of a page (the token, the language, the idempotency key)."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "input" and values.get("type") == "hidden" and values.get("name"):
            self.hidden[str(values["name"])] = values.get("value") or ""


async def _post_form(
    client: aiohttp.ClientSession, base: str, name: str, email: str
) -> aiohttp.ClientResponse:
    """What a browser does: show the page, then post it back with its hidden fields."""
    async with client.get(f"{base}/forms/contact") as page:
        assert page.status == 200
        parser = _Inputs()
        parser.feed(await page.text())
    assert "_token" in parser.hidden
    fields = {**parser.hidden, "name": name, "email": email, "message": "Hi", "consent": "on"}
    async with client.post(
        f"{base}/forms/contact",
        data=fields,
        headers={"X-Forwarded-For": FORGED, "Accept": "text/html"},
        allow_redirects=False,
    ) as response:
        return response


async def _settled(deployment: Deployment, count: int) -> list[sqlite3.Row]:
    await _until(
        lambda: (
            len(rows := deployment.submissions()) >= count
            and all(r["status"] != "received" for r in rows)
        ),
        f"{count} submission(s) processed",
    )
    return deployment.submissions()


async def test_telegram_updates_reach_the_bot_through_nginx(deployment):
    stub = deployment.stub
    assert stub.webhook is not None and stub.webhook.url == f"{deployment.url}/telegram/webhook"
    replies = await stub.user(ADMIN, "Ada").send("/help")
    assert replies.status == 200, stub.webhook.last_error_message
    assert "What you can do" in replies.texts[0]
    # nginx writes the access log line once the response has gone out: the reply can arrive
    # first, so wait for the line rather than read the file at once.
    await _until(
        lambda: (
            '"POST /telegram/webhook HTTP/1.1" 200'
            in (deployment.folder / "access.log").read_text()
        ),
        "the webhook post in nginx's access log",
        within=5.0,
    )


async def test_a_form_post_through_nginx_keeps_the_address_nginx_saw_not_the_forged_one(
    deployment,
):
    signer = Signer(FORMS_SECRET.encode())
    async with aiohttp.ClientSession() as client:
        response = await _post_form(client, deployment.url, "Jean Dupont", "jean@example.fr")
        assert response.status == 303
        assert response.headers["Location"].startswith("/forms/contact?sent=1")
        first = (await _settled(deployment, 1))[-1]
        assert first["status"] in ("created", "merged"), dict(first)
        assert first["address_hash"] == signer.address_hash("127.0.0.1")
        assert first["address_hash"] != signer.address_hash(FORGED)
        # The control: straight to carnet, which trusts the header, the forgery would stick;
        # so the address above is nginx's doing, and the observation can tell.
        response = await _post_form(client, deployment.carnet_url, "Marie Curie", "m@example.fr")
        assert response.status == 303
        direct = (await _settled(deployment, 2))[-1]
    assert direct["address_hash"] == signer.address_hash(FORGED)


async def test_the_form_script_and_preflight_go_through(deployment):
    async with aiohttp.ClientSession() as client:
        async with client.get(f"{deployment.url}/forms/contact/embed.js") as script:
            assert script.status == 200 and script.content_type == "text/javascript"
        async with client.options(
            f"{deployment.url}/forms/contact", headers={"Origin": "https://elsewhere.example"}
        ) as preflight:
            # carnet's refusal of an origin it does not know (nginx's own would not vary).
            assert preflight.status == 403 and preflight.headers.get("Vary") == "Origin"


async def test_healthz_answers_on_the_carnet_port_but_not_through_nginx(deployment):
    status, body = await raw_request(deployment.carnet_port, "GET", "/healthz")
    assert status != 404 and body.lstrip().startswith(b"{")
    status, body = await raw_request(deployment.port, "GET", "/healthz")
    assert status == 404 and NGINX_PAGE in body


@pytest.mark.parametrize(
    "target",
    [
        "/metrics",
        "/admin",
        "/healthz?x=/forms/",
        "/forms/../healthz",
        "/forms/%2e%2e/healthz",
        "/forms/contact/..%2f..%2fhealthz",
        "/telegram/webhook/../../healthz",
        "//healthz",
    ],
)
async def test_nothing_else_is_served_from_outside(deployment, target):
    status, body = await raw_request(deployment.port, "GET", target)
    assert status in (400, 404) and NGINX_PAGE in body, body


@pytest.mark.parametrize(
    ("method", "target"),
    [("GET", "/telegram/webhook"), ("PUT", "/forms/contact"), ("DELETE", "/forms/contact")],
)
async def test_other_methods_are_refused_by_nginx(deployment, method, target):
    status, body = await raw_request(deployment.port, method, target)
    assert status == 403 and NGINX_PAGE in body


async def test_a_body_over_the_forms_limit_is_refused_by_nginx(deployment):
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Content-Length": "1048577"}
    status, body = await raw_request(deployment.port, "POST", "/forms/contact", headers)
    assert status == 413 and NGINX_PAGE in body


async def test_the_start_page_is_carnets(deployment):
    status, body = await raw_request(deployment.port, "GET", "/")
    assert NGINX_PAGE not in body, (status, body)
