"""--web.config.file: TLS, basic auth, client certificates, headers and rate limits, checked with
curl and with a real Prometheus server."""
import os
import subprocess

import pytest

import rs
from rs import wait_for

# bcrypt (cost 10) of "s3cret"
ALICE_HASH = "$2b$10$6otpmKcaDJSfTiPwiUEzKeXM6YyZTdgSAWx4qbP0R3stfwJqm9qwC"


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    """A CA, a server certificate for 127.0.0.1, two client certificates it signed (with
    different names) and one it did not."""
    d = tmp_path_factory.mktemp("tls")

    def openssl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=d)

    def key_and_csr(name):
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}")

    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=runnerscope test CA")
    for name, san in (("server", "DNS:localhost,IP:127.0.0.1"),
                      ("client", "DNS:prometheus.example"),
                      ("client2", "DNS:intruder.example")):
        key_and_csr(name)
        (d / f"{name}.ext").write_text(f"subjectAltName={san}\n")
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", f"{name}.crt", "-days", "2", "-extfile", f"{name}.ext")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "stranger.key", "-out", "stranger.crt", "-days", "2", "-subj", "/CN=stranger")
    return str(d)


def write_config(workdir, text, name="web.yml"):
    path = os.path.join(workdir, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def curl(url, *args, timeout=10):
    """(curl's exit code, HTTP status, headers dict with lower-case names, body)"""
    out = subprocess.run(["curl", "-sS", "-m", str(timeout), "-D", "/dev/stderr", "-o", "-",
                          "-w", "\n%{http_code}", *args, url],
                         capture_output=True, timeout=timeout + 5)
    body, _, code = out.stdout.rpartition(b"\n")
    headers = {}
    for line in out.stderr.decode("utf-8", "replace").splitlines():
        if ":" in line and not line.startswith("curl:"):
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    return out.returncode, int(code or 0), headers, body


def tls_config(tls, extra=""):
    return (f"tls_server_config:\n  cert_file: {tls}/server.crt\n  key_file: {tls}/server.key\n"
            + extra)


def test_tls_and_basic_auth(daemon, tls, workdir):
    cfg = write_config(workdir, tls_config(tls) + f"""basic_auth_users:
  alice: {ALICE_HASH}
http_server_config:
  headers:
    Strict-Transport-Security: max-age=63072000
    X-Frame-Options: deny
""")
    d = daemon(f"--web.config.file={cfg}", tls_ca=f"{tls}/ca.crt", auth=("alice", "s3cret"))
    url = f"https://127.0.0.1:{d.port}"
    ca = ("--cacert", f"{tls}/ca.crt")

    rc, code, headers, _ = curl(url + "/metrics", *ca)
    assert (rc, code) == (0, 401)
    assert headers["www-authenticate"].startswith("Basic realm=")
    assert headers["strict-transport-security"] == "max-age=63072000"  # on refusals too
    for user in ("alice:wrong", "mallory:s3cret", "alice:", "alice:s3cret "):
        assert curl(url + "/metrics", *ca, "-u", user)[:2] == (0, 401), user
    rc, code, headers, body = curl(url + "/metrics", *ca, "-u", "alice:s3cret")
    assert (rc, code) == (0, 200)
    assert headers["x-frame-options"] == "deny"
    assert b"runnerscope_build_info{" in body
    # every path is behind the password but /healthz, which probes reach without secrets
    assert curl(url + "/", *ca)[1] == 401
    assert curl(url + "/nope", *ca)[1] == 401
    assert curl(url + "/nope", *ca, "-u", "alice:s3cret")[1] == 404
    assert curl(url + "/healthz", *ca)[1:2] == (200,)
    # plain HTTP to the TLS port: a clean failure for the client, nothing for the daemon
    rc, code, _, _ = curl(f"http://127.0.0.1:{d.port}/metrics", timeout=5)
    assert rc in (52, 55, 56) and code == 0, (rc, code)
    # a client that does not trust our CA stops at the handshake
    assert curl(url + "/metrics", "-u", "alice:s3cret")[0] == 60
    m = d.scrape()  # Python's own TLS client, with the password
    assert m.value("runnerscope_http_requests_total", path="/metrics", code="401") == 5
    assert m.value("runnerscope_http_requests_total", path="/", code="401") == 1
    assert m.value("runnerscope_http_requests_total", path="other", code="401") == 1
    assert m.value("runnerscope_http_requests_total", path="other", code="404") == 1
    assert d.proc.poll() is None
    assert "listening on 127.0.0.1:%d (TLS) with basic auth" % d.port in d.read_log()


def test_tls_versions(daemon, tls, workdir):
    # the default floor is TLS 1.2, as in exporter-toolkit
    d = daemon(f"--web.config.file={write_config(workdir, tls_config(tls))}",
               tls_ca=f"{tls}/ca.crt")
    url = f"https://127.0.0.1:{d.port}/healthz"
    ca = ("--cacert", f"{tls}/ca.crt")
    assert curl(url, *ca, "--tlsv1.2", "--tls-max", "1.2")[:2] == (0, 200)
    assert curl(url, *ca, "--tlsv1.3")[:2] == (0, 200)
    d13 = daemon(f"--web.config.file={write_config(workdir, tls_config(tls, '  min_version: TLS13' + chr(10)), 'v13.yml')}",
                 tls_ca=f"{tls}/ca.crt")
    url = f"https://127.0.0.1:{d13.port}/healthz"
    assert curl(url, *ca, "--tlsv1.3")[:2] == (0, 200)
    rc, code, _, _ = curl(url, *ca, "--tlsv1.2", "--tls-max", "1.2")
    assert rc == 35 and code == 0, rc  # the handshake fails


@pytest.mark.parametrize("mode,none,good,stranger,other_name", [
    # client_auth_type: what a client without a certificate, with one from our CA, with a
    # self-signed one, and with one from our CA but outside client_allowed_sans gets
    ("RequireAndVerifyClientCert", "handshake", 200, 403, 403),
    ("VerifyClientCertIfGiven", 200, 200, 403, 403),
    ("RequireAnyClientCert", "handshake", 200, 200, 200),
    ("RequestClientCert", 200, 200, 200, 200),
])
def test_client_certificates(daemon, tls, workdir, mode, none, good, stranger, other_name):
    extra = f"  client_auth_type: {mode}\n"
    if "Verify" in mode:
        extra += f"  client_ca_file: {tls}/ca.crt\n  client_allowed_sans: [prometheus.example]\n"
    d = daemon(f"--web.config.file={write_config(workdir, tls_config(tls, extra))}",
               tls_ca=f"{tls}/ca.crt", tls_cert=(f"{tls}/client.crt", f"{tls}/client.key"))
    url = f"https://127.0.0.1:{d.port}/metrics"
    ca = ("--cacert", f"{tls}/ca.crt")

    def status(*cert):
        rc, code, _, _ = curl(url, *ca, *cert)
        if code == 0:
            # refused at or right after the handshake: a TLS error, or the connection closed
            # before the reply, while sending or while receiving
            assert rc in (35, 52, 55, 56), rc
            return "handshake"
        return code
    assert status() == none
    assert status("--cert", f"{tls}/client.crt", "--key", f"{tls}/client.key") == good
    assert status("--cert", f"{tls}/stranger.crt", "--key", f"{tls}/stranger.key") == stranger
    assert status("--cert", f"{tls}/client2.crt", "--key", f"{tls}/client2.key") == other_name
    assert d.proc.poll() is None


def start_fails(workdir, cfg, *extra):
    port = rs.free_port()
    pin = f"/sys/fs/bpf/rs-test-webcfg-{port}"
    out = subprocess.run([rs.DAEMON, f"--web.listen-address=127.0.0.1:{port}",
                          f"--bpf.pin-path={pin}", "--bpf.cleanup-on-exit",
                          f"--web.config.file={cfg}", *extra],
                         capture_output=True, text=True, timeout=30)
    errors = [l for l in out.stderr.splitlines() if "level=error" in l]
    assert out.returncode == 1, out
    assert len(errors) == 1, out.stderr
    assert not os.path.exists(pin), "a failed start left pins behind"
    return errors[0]


def test_bad_web_config_is_one_clear_line(workdir, tls):
    cfg = write_config(workdir, tls_config(tls) + "  min_version: TLS14\n")
    assert (f'msg="invalid --web.config.file: {cfg}:4: min_version: unknown TLS version '
            'TLS14: want TLS10, TLS11, TLS12 or TLS13"') in start_fails(workdir, cfg)
    cfg = write_config(workdir, "basic_auth_users:\n  alice: s3cret\n")
    assert f"{cfg}:2: basic_auth_users: the password of alice is not a bcrypt hash" in \
        start_fails(workdir, cfg)
    cfg = write_config(workdir, "tls_server_config:\n  cert_file: [a\n")
    assert f"{cfg}:3: did not find expected" in start_fails(workdir, cfg)
    assert f"cannot read {workdir}/none.yml: No such file or directory" in \
        start_fails(workdir, f"{workdir}/none.yml")
    # files that parse but that GnuTLS refuses: said before anything listens
    cfg = write_config(workdir, f"tls_server_config:\n  cert_file: {tls}/server.crt\n"
                                f"  key_file: {tls}/client.key\n")
    line = start_fails(workdir, cfg)
    assert "invalid TLS certificate or key in --web.config.file" in line, line
    with open(os.path.join(workdir, "junk.pem"), "w") as f:
        f.write("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    cfg = write_config(workdir, f"tls_server_config:\n  cert_file: junk.pem\n"
                                f"  key_file: {tls}/server.key\n")
    assert "invalid TLS certificate or key" in start_fails(workdir, cfg)


def test_rate_limit(daemon, workdir):
    cfg = write_config(workdir, "rate_limit:\n  interval: 30s\n  burst: 3\n")
    d = daemon(f"--web.config.file={cfg}")
    got = [d.get("/metrics") for _ in range(5)]
    assert [g[0] for g in got] == [200, 200, 200, 429, 429]
    assert got[3][2].get("Connection") == "close"
    # probes are not rate limited
    assert [d.get("/healthz")[0] for _ in range(5)] == [200] * 5


def test_prometheus_scrapes_over_tls_with_basic_auth(daemon, tls, runners, workdir):
    cfg = write_config(workdir, tls_config(tls) + f"basic_auth_users:\n  alice: {ALICE_HASH}\n")
    d = daemon(f"--web.config.file={cfg}", tls_ca=f"{tls}/ca.crt", auth=("alice", "s3cret"))
    r = runners("tls-runner").start()
    for i, code in enumerate((100, 102, 100)):
        r.submit(f"j{i}", "step true", f"exit {code}")
    for i in range(3):
        r.result(f"j{i}")
    wait_for(lambda: sum(v for _, v in d.scrape().find("runnerscope_jobs_finished_total")) == 3,
             what="jobs counted")
    target = f'["127.0.0.1:{d.port}"]'
    with rs.Prometheus(workdir, f"""  - job_name: runnerscope
    scheme: https
    tls_config:
      ca_file: {tls}/ca.crt
    basic_auth:
      username: alice
      password: s3cret
    static_configs:
      - targets: {target}
  - job_name: wrong-password
    scheme: https
    tls_config:
      ca_file: {tls}/ca.crt
    basic_auth:
      username: alice
      password: guess
    static_configs:
      - targets: {target}
""") as prom:
        res = prom.wait('runnerscope_jobs_finished_total{runner="tls-runner"} > 0')
        assert {dict(k)["result"]: v for k, v in res.items()} == {"success": 2, "failure": 1}
        # both targets scraped at least once
        up = wait_for(lambda: (lambda u: u if len(u) == 2 else None)(
            {dict(k)["job"]: v for k, v in prom.query("up").items()}), 30, interval=0.5,
            what="both targets scraped")
        assert up == {"runnerscope": 1.0, "wrong-password": 0.0}, up
        errors = {t["labels"]["job"]: t["lastError"]
                  for t in prom.api("targets")["activeTargets"]}
        assert errors["runnerscope"] == ""
        assert "401 Unauthorized" in errors["wrong-password"], errors
        # Prometheus asks for OpenMetrics, and what it got parsed
        assert "/metrics as openmetrics 1.0.0" in d.read_log()
