#!/usr/bin/env python3
"""deploy/check.py must reject broken deployment files with a message naming file and field.

    python3 deploy/tests/check_broken.py SYNDICATE_BINARY

Copies deploy/ (with scripts/install-deps.sh and .dockerignore, the Dockerfile's context) into a
temporary repository, then breaks one thing at a time and checks that deploy/check.py exits 1 and
prints the expected line, which the untouched copy's output does not have.
"""
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# (name, file under the copy, text to replace, replacement, expected line fragment)
CASES = [
    ("consumer replicas above partitions", "deploy/k8s/archive.yaml", "replicas: 3", "replicas: 8",
     "deploy/k8s/archive.yaml: Deployment syndicate-archive: container archive: spec.replicas: 8 exceeds the 6 partitions"),
    ("broker min.insync.replicas", "deploy/docker-compose.yml", 'KAFKA_MIN_INSYNC_REPLICAS: "2"', 'KAFKA_MIN_INSYNC_REPLICAS: "1"',
     "deploy/docker-compose.yml: services.kafka-1.environment.KAFKA_MIN_INSYNC_REPLICAS: expected 2, got 1"),
    ("topic replication factor", "deploy/config/syndication.yaml",
     "name: news.articles.v1\n      partitions: 6\n      replication_factor: 3",
     "name: news.articles.v1\n      partitions: 6\n      replication_factor: 1",
     "deploy/config/syndication.yaml: kafka.topics.articles.replication_factor: expected 3, got 1"),
    ("topic min.insync.replicas", "deploy/config/syndication.yaml",
     'cleanup.policy: compact\n        min.insync.replicas: "2"', 'cleanup.policy: compact\n        min.insync.replicas: "1"',
     "deploy/config/syndication.yaml: kafka.topics.issues.config.min.insync.replicas: expected 2, got 1"),
    ("producer acks", "deploy/config/syndication.yaml", "acks: all", "acks: 1",
     "deploy/config/syndication.yaml: kafka.client.acks: expected all"),
    ("unknown config key", "deploy/config/syndication.yaml", "  batch_size: 100", "  batch_sise: 100",
     "archive.batch_sise: unknown key"),
    ("misspelt subcommand", "deploy/docker-compose.yml", '["consume", "archive",', '["consume", "archiv",',
     "deploy/docker-compose.yml: services.archive.command: `syndicate consume archiv` is not a syndicate subcommand (`syndicate consume --help` lists feed, archive, translation)"),
    ("unknown option", "deploy/k8s/translator.yaml", '"--done-store"', '"--done-stor"',
     "deploy/k8s/translator.yaml: Deployment syndicate-translator: container translator: args: `syndicate translate` has no option --done-stor"),
    ("liveness path", "deploy/k8s/archive.yaml", "httpGet: {path: /healthz, port: 9103}", "httpGet: {path: /health, port: 9103}",
     "deploy/k8s/archive.yaml: Deployment syndicate-archive: container archive: livenessProbe: expected httpGet /healthz on port 9103"),
    ("probe port not the config's", "deploy/k8s/trigger.yaml", "httpGet: {path: /readyz, port: 9101}", "httpGet: {path: /readyz, port: 8080}",
     "deploy/k8s/trigger.yaml: Deployment syndicate-trigger: container trigger: readinessProbe: expected httpGet /readyz on port 9101"),
    ("no PodDisruptionBudget", "deploy/k8s/translation.yaml", "kind: PodDisruptionBudget", "kind: LimitRange",
     "deploy/k8s/translation.yaml: Deployment syndicate-translation: no PodDisruptionBudget selects its pods"),
    ("root pod", "deploy/k8s/translation.yaml", "runAsNonRoot: true", "runAsNonRoot: false",
     "deploy/k8s/translation.yaml: Deployment syndicate-translation: spec.template.spec.securityContext.runAsNonRoot: must be true"),
    ("no memory limit", "deploy/k8s/trigger.yaml", 'limits: {cpu: "1", memory: 256Mi}', 'limits: {cpu: "1"}',
     "deploy/k8s/trigger.yaml: Deployment syndicate-trigger: container trigger: resources.limits.memory: missing"),
    ("secret not supplied", "deploy/k8s/trigger.yaml", "name: SYNDICATE_TRIGGER_TOKEN", "name: SYNDICATE_TRIGGER_TOKN",
     "deploy/k8s/trigger.yaml: Deployment syndicate-trigger: container trigger: `syndicate serve trigger` needs the secret variable SYNDICATE_TRIGGER_TOKEN"),
    ("ConfigMap drifted from deploy/config", "deploy/k8s/configmap.yaml", "partitions: 3", "partitions: 4",
     "deploy/k8s/configmap.yaml: ConfigMap syndicate-config: data.syndication.yaml: differs from deploy/config/syndication.yaml beyond kafka.bootstrap_servers at kafka.topics.deadletter.partitions"),
    ("YAML syntax", "deploy/k8s/archive.yaml", "  replicas: 3", "  replicas: [3",
     "deploy/k8s/archive.yaml: cannot parse"),
    ("systemd ProtectSystem", "deploy/systemd/syndicate@.service", "ProtectSystem=strict", "ProtectSystem=full",
     "deploy/systemd/syndicate@.service: [Service]: ProtectSystem: expected strict, got full"),
    ("systemd role file", "deploy/systemd/roles/archive.env", "consume archive", "consume archives",
     "deploy/systemd/roles/archive.env: syndicate@.service ExecStart: `syndicate consume archives` is not a syndicate subcommand"),
    ("Dockerfile root user", "deploy/docker/Dockerfile", "USER 10001:10001", "USER root",
     "deploy/docker/Dockerfile: USER (runtime stage): must be a non-root user, got root"),
    ("Dockerfile build packages", "deploy/docker/Dockerfile", " libpq-dev ", " ",
     "deploy/docker/Dockerfile: build stage apt-get install: libpq-dev (from scripts/install-deps.sh) is missing"),
    ("feed consumers on a SQLite state (flag)", "deploy/k8s/feed.yaml",
     'args: ["consume", "feed", "--config", "/etc/syndicate/syndication.yaml"]',
     'args: ["consume", "feed", "--config", "/etc/syndicate/syndication.yaml", "--state-backend", "sqlite"]',
     "deploy/k8s/feed.yaml: Deployment syndicate-feed: container feed: spec.replicas: 3 instances of `syndicate consume feed` on a SQLite feed state"),
    ("feed servers on a SQLite state (config feed.state)", "deploy/config/syndication.yaml",
     "    backend: postgres\n    postgres: {conninfo_env: SYNDICATE_FEED_PG",
     "    backend: sqlite\n    postgres: {conninfo_env: SYNDICATE_FEED_PG",
     "deploy/docker-compose.yml: services.feeds: 2 instances of `syndicate serve feeds` on a SQLite feed state"),
    ("compose service without a healthcheck", "deploy/docker-compose.yml", 'http://127.0.0.1:9104/healthz"]', 'http://127.0.0.1:9104/metrics"]',
     "deploy/docker-compose.yml: services.translation.healthcheck.test: expected a GET of http://127.0.0.1:9104/healthz"),
]
if shutil.which("systemd-analyze"):
    CASES.append(("systemd unknown key (systemd-analyze verify)", "deploy/systemd/syndicate@.service",
                  "LockPersonality=yes", "LockPersonalty=yes",
                  "Unknown key 'LockPersonalty'"))


def fresh_copy(tmp: Path) -> Path:
    root = tmp / "repo"
    shutil.copytree(REPO / "deploy", root / "deploy",
                    ignore=shutil.ignore_patterns(".cache", "secrets.env", "secrets", "__pycache__"))
    (root / "scripts").mkdir()
    shutil.copy(REPO / "scripts" / "install-deps.sh", root / "scripts")
    shutil.copy(REPO / ".dockerignore", root)
    return root


def run(root: Path, syndicate: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(root / "deploy" / "check.py"), "--syndicate", syndicate,
                           "--deploy-dir", str(root / "deploy"), "--repo", str(root)],
                          capture_output=True, text=True, timeout=300)


def main() -> int:
    syndicate = str(Path(sys.argv[1]).resolve())
    failures = 0
    with tempfile.TemporaryDirectory() as t:
        # The untouched copy may have problems of its own (deploy.check reports them); each case
        # requires its line to appear only once the case breaks the file.
        clean = run(fresh_copy(Path(t) / "clean"), syndicate)
        print(f"untouched copy: exit {clean.returncode} (deploy.check tests it)")
        for i, (name, rel, old, new, want) in enumerate(CASES):
            root = fresh_copy(Path(t) / f"case{i}")
            f = root / rel
            text = f.read_text(encoding="utf-8")
            if old not in text:
                print(f"{name}: the test's pattern {old!r} is no longer in {rel}: update the test")
                failures += 1
                continue
            f.write_text(text.replace(old, new, 1), encoding="utf-8")
            p = run(root, syndicate)
            found = want in p.stderr
            before = want in clean.stderr
            print(f"{name}: expected exit 1 and {want!r}, got exit {p.returncode}, {'found' if found else 'not found'}"
                  + (" (but already in the untouched copy's output)" if before else ""))
            if p.returncode != 1 or not found or before:
                print("  check.py said:\n" + "".join("    " + ln + "\n" for ln in (p.stdout + p.stderr).splitlines()))
                failures += 1
    print(f"{len(CASES) - failures} of {len(CASES)} passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
