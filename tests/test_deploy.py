"""deploy/: the nginx site really parses (``nginx -t`` with dummy certificates), the systemd units
verify (``systemd-analyze verify``, else their key fields are read as INI), env.example and
docs/production.md name what the app needs."""
from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
SITE = DEPLOY / "nginx" / "safequiz.conf"
UNITS = [DEPLOY / "systemd" / name for name in ("safequiz.service", "safequiz-sweep.service", "safequiz-sweep.timer")]


def nginx_binary() -> str:
    """nginx, installed from Debian's packages when absent (root with apt only)."""
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("nginx is not installed and this is not root with apt-get: apt-get install nginx-light")
    for package in ("nginx-light", "nginx"):
        result = subprocess.run(["apt-get", "install", "-y", "-q", package], capture_output=True, text=True,
                                env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}, timeout=600)
        if result.returncode == 0 and (found := shutil.which("nginx") or "/usr/sbin/nginx"):
            return found
    pytest.skip(f"could not install nginx: {result.stderr[-300:]}")


def test_the_nginx_site_parses_with_dummy_certificates(tmp_path):
    nginx = nginx_binary()
    if not shutil.which("openssl"):
        pytest.skip("openssl not found: apt-get install openssl")
    cert, key = tmp_path / "fullchain.pem", tmp_path / "privkey.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=quiz.example.gov.cn", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=120)
    site = SITE.read_text()
    site = site.replace("/etc/letsencrypt/live/quiz.example.gov.cn/fullchain.pem", str(cert))
    site = site.replace("/etc/letsencrypt/live/quiz.example.gov.cn/privkey.pem", str(key))
    assert str(cert) in site and str(key) in site, "the certbot paths moved: update this test"
    (tmp_path / "safequiz.conf").write_text(site)
    (tmp_path / "logs").mkdir()
    main = tmp_path / "nginx.conf"
    main.write_text(f"""
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/logs/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log {tmp_path}/logs/access.log;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
    include {tmp_path}/safequiz.conf;
}}
""")
    result = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(main)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr and "test is successful" in result.stderr
    assert "[warn]" not in result.stderr, result.stderr


def test_the_nginx_site_says_what_the_app_needs():
    site = SITE.read_text()
    assert re.search(r"return 301 https://", site)
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in site
    assert "client_max_body_size 51m;" in site  # IMPORT_MAX_BYTES (50 MB) + 1 MB, as MAX_CONTENT_LENGTH
    from quiz.config import Config
    assert Config.MAX_CONTENT_LENGTH == 51 * 1024 * 1024
    found = re.search(r"location ~ (\S+) \{([^}]*)\}", site[site.index("# Every event stream"):])
    pattern, events = re.compile(found.group(1)), found.group(2)
    assert "proxy_buffering off;" in events and "proxy_read_timeout 1h;" in events
    # Every event stream of the app (live rounds, stage, console, 现场赛) goes unbuffered; no page does.
    from app import create_app
    from quiz.config import TestingConfig
    rules = [r.rule for r in create_app(TestingConfig()).url_map.iter_rules()]
    streams = [r for r in rules if r.endswith("/events")]
    assert len(streams) >= 5, streams
    assert all(pattern.search(r) for r in streams)
    assert not any(pattern.search(r) for r in rules if not r.endswith("/events"))
    static = site[site.index("location /static/"):]
    assert "alias /srv/safequiz/static/;" in static and "expires 1y;" in static
    upstream = site[site.index("upstream safequiz"):]
    upstream = upstream[:upstream.index("}")]
    assert "keepalive" in upstream and upstream.count("server ") >= 3  # one live, two commented examples
    assert 'proxy_set_header Connection "";' in site and "proxy_http_version 1.1;" in site
    assert "gzip on;" in site


def test_the_systemd_units_verify(tmp_path):
    """``systemd-analyze verify`` with /srv/safequiz pointing at this checkout (its .venv)."""
    for unit in UNITS:
        (tmp_path / unit.name).write_text(unit.read_text().replace("/srv/safequiz", str(ROOT)))
    analyze = shutil.which("systemd-analyze")
    if analyze and (ROOT / ".venv" / "bin" / "gunicorn").exists():
        result = subprocess.run([analyze, "verify", "--man=no", *[str(tmp_path / u.name) for u in UNITS]],
                                capture_output=True, text=True, timeout=120)
        problems = [line for line in (result.stdout + result.stderr).splitlines()
                    if "safequiz" in line and "User" not in line]
        assert result.returncode == 0 and problems == [], result.stdout + result.stderr


def test_the_systemd_units_key_fields():
    units = {}
    for unit in UNITS:
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.optionxform = str
        parser.read_string(unit.read_text())
        units[unit.name] = parser
    service = units["safequiz.service"]["Service"]
    assert service["User"] == "safequiz" and service["EnvironmentFile"] == "/etc/safequiz/env"
    assert service["LimitNOFILE"] == "65536" and service["Restart"] == "on-failure"
    assert "gunicorn -c gunicorn.conf.py" in service["ExecStart"] and "app:create_app()" in service["ExecStart"]
    assert units["safequiz.service"]["Install"]["WantedBy"] == "multi-user.target"
    sweep = units["safequiz-sweep.service"]["Service"]
    assert sweep["Type"] == "oneshot" and sweep["ExecStart"].endswith("flask --app app sweep")
    assert sweep["EnvironmentFile"] == "/etc/safequiz/env" and sweep["User"] == "safequiz"
    timer = units["safequiz-sweep.timer"]
    assert timer["Timer"]["OnCalendar"] == "*-*-* *:*:00" and timer["Install"]["WantedBy"] == "timers.target"


def test_env_example_and_the_production_guide():
    env = dict(line.split("=", 1) for line in (DEPLOY / "env.example").read_text().splitlines()
               if line and not line.startswith("#"))
    assert env["PUBLIC_BASE_URL"].startswith("https://") and env["TRUSTED_PROXY_HOPS"] == "1"
    assert env["SESSION_COOKIE_SECURE"] == "1" and env["DATABASE_URL"].startswith("postgresql://")
    config = (ROOT / "quiz" / "config.py").read_text()
    assert all(f'"{name}"' in config for name in env), "env.example names a setting the app does not read"
    guide = (ROOT / "docs" / "production.md").read_text()
    for step in ("apt-get install", "useradd", "make setup", "CREATE ROLE", "redis-server", "SECRET_KEY",
                 "chmod 640", "db upgrade", "setup --production", "user create", "systemctl enable",
                 "certbot", "journalctl", "git pull", "flask --app app backup", "run restore --force"):
        assert step in guide, step
    assert "docs/production.md" in (ROOT / "README.md").read_text()
