"""The elk stack's filebeat.yml, checked and run by Filebeat itself (8.1.3, Elastic's linux build).

`filebeat test config` loads the file as Filebeat does (processors, the Logstash output and its TLS settings).
A real run on sample container logs (a Docker JSON line and a CRI line) shows that each service's input reads
its files, the container parser unwraps the lines and `service` lands at the event's root. scripts/setup
installs the binary as .venv/tools/filebeat; without it these tests are skipped.
"""

from __future__ import annotations

import datetime
import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from ruamel.yaml import YAML

from generators.monitoring import stacks
from monitoring_extras_support import sample_plan

ROOT = Path(__file__).resolve().parents[2]
INSTALLED = ROOT / ".venv" / "tools" / "filebeat"
FILEBEAT = str(INSTALLED) if INSTALLED.is_file() else shutil.which("filebeat")
CA_PATH = "/etc/filebeat/certs/ca.crt"  # where the generated file expects Logstash's CA

pytestmark = [pytest.mark.validators,
              pytest.mark.skipif(FILEBEAT is None, reason="Filebeat is not installed (scripts/setup installs it)")]


def generated() -> str:
    return stacks.generate(sample_plan("elk"))["elk/filebeat.yml"]


def a_ca_certificate(path: Path) -> Path:
    """A self-signed CA certificate, so the Logstash output's TLS settings load as they would in production."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "logstash test CA")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(key, hashes.SHA256()))
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def config_file(text: str, tmp_path: Path) -> Path:
    path = tmp_path / "filebeat.yml"
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)  # Filebeat refuses a config file that others may write
    return path


def filebeat(args: list[str], tmp_path: Path, **kwargs: Any) -> Any:
    paths = ["--path.home", str(tmp_path), "--path.data", str(tmp_path / "data"), "--path.logs", str(tmp_path / "log")]
    return subprocess.run([FILEBEAT, *args, *paths], capture_output=True, text=True, timeout=60, **kwargs)


def test_filebeat_accepts_the_generated_config_and_refuses_a_broken_one(tmp_path: Path) -> None:
    text = generated().replace(CA_PATH, str(a_ca_certificate(tmp_path / "ca.crt")))
    done = filebeat(["test", "config", "-c", str(config_file(text, tmp_path))], tmp_path)
    assert done.returncode == 0 and done.stdout.strip() == "Config OK", done.stdout + done.stderr
    # The same check fails on a misspelt processor and on a CA that is not there: it is not a rubber stamp.
    broken = text.replace("add_host_metadata", "add_hots_metadata")
    done = filebeat(["test", "config", "-c", str(config_file(broken, tmp_path))], tmp_path)
    assert done.returncode == 1 and "the processor action add_hots_metadata does not exist" in done.stdout + done.stderr
    done = filebeat(["test", "config", "-c", str(config_file(generated(), tmp_path))], tmp_path)
    assert done.returncode == 1 and f"open {CA_PATH}: no such file or directory" in done.stdout + done.stderr


def test_filebeat_reads_each_services_container_logs_and_tags_them_with_the_service(tmp_path: Path) -> None:
    logs, out = tmp_path / "var-log", tmp_path / "out"
    (logs / "containers").mkdir(parents=True)
    (logs / "containers" / "checkout-7d9f.log").write_text(  # Docker's json-file format
        json.dumps({"log": "order 42 paid\n", "stream": "stdout", "time": "2026-11-26T10:00:00.000000000Z"}) + "\n",
        encoding="utf-8")
    (logs / "containers" / "worker-1.log").write_text(  # the CRI format (containerd, CRI-O)
        "2026-11-26T10:00:01.000000000Z stderr F job 7 failed\n", encoding="utf-8")
    yaml = YAML(typ="safe")
    config = yaml.load(generated())
    for item in config["filebeat.inputs"]:
        item["paths"] = [path.replace("/var/log", str(logs)) for path in item["paths"]]
    del config["output.logstash"]  # no Logstash here: the same events go to a file
    config["output.file"] = {"path": str(out), "filename": "events"}
    text_path = tmp_path / "run.yml"
    yaml.dump(config, text_path)
    text_path.chmod(0o600)
    process = subprocess.Popen([FILEBEAT, "-c", str(text_path), "--path.home", str(tmp_path), "--path.data",
                                str(tmp_path / "data"), "--path.logs", str(tmp_path / "log")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        events: list[dict[str, Any]] = []
        deadline = time.monotonic() + 60
        while len(events) < 2 and time.monotonic() < deadline:
            assert process.poll() is None, "filebeat exited"
            time.sleep(0.5)
            events = [json.loads(line) for file in sorted(out.glob("events*")) for line in file.read_text().splitlines()]
    finally:
        process.terminate()
        process.wait(timeout=30)
    seen = sorted((e["service"], e["stream"], e["message"], e["@timestamp"]) for e in events)
    assert seen == [("checkout", "stdout", "order 42 paid\n", "2026-11-26T10:00:00.000Z"),
                    ("worker", "stderr", "job 7 failed", "2026-11-26T10:00:01.000Z")]
    assert all(e["input"]["type"] == "filestream" and "host" in e for e in events)  # add_host_metadata ran
