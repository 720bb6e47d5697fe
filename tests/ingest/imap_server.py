"""A real IMAP server for the mail tests: Debian's Dovecot (``dovecot-imapd``) on loopback.

Each :class:`Dovecot` is a private instance: its own config file, run and mail folders in
a temp directory, one throwaway user (passwd-file, plaintext login allowed because it
listens on 127.0.0.1 only, ``ssl = no``), mail in a Maildir. ``dovecot -F -c CONF`` runs
in the foreground as a child of the test; :meth:`stop` ends it (and :meth:`start` starts
it again, on the same port and mail, for "server down, then up" tests).

Mails are delivered with IMAP ``APPEND`` (:meth:`append`), as any client may; a very
large one is written straight into the Maildir (:meth:`deliver_file`), as a local
delivery agent would, so the test never holds it in memory.
"""

from __future__ import annotations

import contextlib
import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER = "intake"
PASSWORD = "hemligt-test"  # a throwaway user on a loopback server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def available() -> bool:
    return Path(DOVECOT).exists()


@contextlib.contextmanager
def running(*, tls: bool = False) -> Iterator[Dovecot]:
    """A started private Dovecot in a temp folder of its own (not under pytest's, which
    is closed to the unprivileged users Dovecot's processes run as), removed after."""
    root = Path(tempfile.mkdtemp(prefix="signreg-dovecot-"))
    os.chmod(root, 0o755)
    server = Dovecot(root, tls=tls)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


class Dovecot:
    """A private Dovecot on 127.0.0.1:``port`` with one user, ``USER``/``PASSWORD``."""

    def __init__(self, root: Path, port: int | None = None, *, tls: bool = False) -> None:
        self.root = root
        self.port = port or free_port()
        self.tls = tls  # a self-signed certificate: STARTTLS on port, IMAPS on imaps_port
        self.imaps_port = free_port() if tls else 0
        self.cert = root / "cert.pem"
        self.mail = root / "mail"
        self.conf = root / "dovecot.conf"
        self.log = root / "dovecot.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self._write_config()

    def _write_config(self) -> None:
        run = self.root / "run"
        for folder in (run, self.mail):
            folder.mkdir(parents=True, exist_ok=True)
        me = pwd.getpwuid(os.geteuid())
        if os.geteuid() == 0:  # the package's own unprivileged users
            internal, login = "dovecot", "dovenull"
            mail_uid = "dovecot"
            shutil.chown(self.mail, user="dovecot", group="dovecot")
            os.chmod(self.root, 0o755)
        else:  # a rootless instance runs every process as the test's user
            internal = login = mail_uid = me.pw_name
        (self.root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
        self.conf.write_text(
            f"""
protocols = imap
listen = 127.0.0.1
base_dir = {run}
state_dir = {self.root / "state"}
instance_name = signreg-test-{uuid.uuid4().hex[:8]}
log_path = {self.log}
info_log_path = {self.log}
{self._ssl()}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_internal_group = {internal if os.geteuid() == 0 else me.pw_name}
default_login_user = {login}
mail_location = maildir:{self.mail}/%u
mail_uid = {mail_uid}
mail_gid = {mail_uid if os.geteuid() == 0 else me.pw_name}
first_valid_uid = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.root / "users"}
}}
userdb {{
  driver = static
  args = home={self.mail}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.imaps_port}
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
"""
        )
        (self.root / "state").mkdir(exist_ok=True)

    def _ssl(self) -> str:
        if not self.tls:
            return "ssl = no"
        key = self.root / "key.pem"
        if not self.cert.exists():
            subprocess.run(
                ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                 "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                 "-keyout", str(key), "-out", str(self.cert)],
                check=True, capture_output=True,
            )  # fmt: skip
            os.chmod(key, 0o644)
        return f"ssl = yes\nssl_cert = <{self.cert}\nssl_key = <{key}"

    def start(self, timeout: float = 20.0) -> None:
        with self.log.open("ab") as err:
            self.proc = subprocess.Popen(
                [DOVECOT, "-F", "-c", str(self.conf)],
                stdout=subprocess.DEVNULL,
                stderr=err,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dovecot exited: {self.log.read_text(errors='replace')}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    if s.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"dovecot did not listen on {self.port}: {self.log.read_text()}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def client(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=30)
        conn.login(USER, PASSWORD)
        return conn

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        conn = self.client()
        try:
            typ, data = conn.append(folder, "", None, raw)  # type: ignore[arg-type]
            assert typ == "OK", data
        finally:
            conn.logout()

    def append_many(self, raws: list[bytes], folder: str = "INBOX") -> None:
        conn = self.client()
        try:
            for raw in raws:
                typ, data = conn.append(folder, "", None, raw)  # type: ignore[arg-type]
                assert typ == "OK", data
        finally:
            conn.logout()

    def deliver_file(self, source: Path) -> None:
        """Move a message file (CRLF or LF lines) into the user's Maildir ``new``."""
        new = self.mail / USER / "new"
        new.mkdir(parents=True, exist_ok=True)
        for sub in ("cur", "tmp"):
            (self.mail / USER / sub).mkdir(exist_ok=True)
        target = new / f"{int(time.time())}.{uuid.uuid4().hex}.signreg-test"
        shutil.move(source, target)
        if os.geteuid() == 0:
            for path in (
                self.mail / USER,
                new,
                self.mail / USER / "cur",
                self.mail / USER / "tmp",
                target,
            ):
                shutil.chown(path, user="dovecot", group="dovecot")

    def count(self, folder: str) -> int:
        conn = self.client()
        try:
            typ, data = conn.select(f'"{folder}"', readonly=True)
            if typ != "OK":
                return 0
            return int(data[0] or 0)
        finally:
            conn.logout()

    def headers(self, folder: str, name: str = "Message-ID") -> list[str]:
        """The ``name`` header of every message in ``folder``."""
        conn = self.client()
        try:
            typ, _ = conn.select(f'"{folder}"', readonly=True)
            if typ != "OK":
                return []
            typ, data = conn.fetch("1:*", f"(BODY.PEEK[HEADER.FIELDS ({name})])")
            if typ != "OK" or data == [None]:
                return []
            values = []
            for item in data:
                if isinstance(item, tuple):
                    text = item[1].decode(errors="replace").strip()
                    values.append(text.split(":", 1)[1].strip() if ":" in text else "")
            return values
        finally:
            conn.logout()
