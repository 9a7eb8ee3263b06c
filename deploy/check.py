#!/usr/bin/env python3
"""Checks the deployment files in deploy/ without a Docker engine or a cluster.

    python3 deploy/check.py [--syndicate build/app/syndicate] [--deploy-dir deploy] [--repo .]

Parses every YAML and unit file; checks images, probes, resources, PodDisruptionBudgets,
replicas <= partitions, non-root users, the production Kafka settings (replication factor 3,
min.insync.replicas 2, acks=all); runs `syndicate <subcommand> --help` for every subcommand and
option the files invoke and `syndicate config check` on every config they mount; runs
`systemd-analyze verify` on the units when it is installed. Every problem is printed as
`FILE: WHERE: FIELD: message`; the exit status is 1 if there was any, else 0.
docs/DEPLOYMENT.md describes the files.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

# The roles: the subcommand words, the observability.metrics key serving /healthz and /readyz
# (None: the role's own listen address does), the consumer group key and its input topics.
ROLES = {
    ("serve", "trigger"): {"metrics": "trigger", "group": None, "topics": []},
    ("consume", "feed"): {"metrics": "feed", "group": "feed", "topics": ["articles", "translated"]},
    ("consume", "archive"): {"metrics": "archive", "group": "archive",
                             "topics": ["articles", "translated", "issues"]},
    ("consume", "translation"): {"metrics": "translation", "group": "translation", "topics": ["articles"]},
    ("translate",): {"metrics": "translator", "group": "translator", "topics": ["translation_jobs"]},
    ("serve", "feeds"): {"metrics": None, "group": None, "topics": []},
}
ONE_SHOT = [("topics", "create")]
# The roles that open the feed state (--state / --state-backend / --state-pg-env).
FEED_STATE_ROLES = {("consume", "feed"), ("serve", "feeds")}
PRODUCTION_RF = 3
PRODUCTION_MIN_ISR = 2
# scripts/install-deps.sh packages that are tools for tests, not for building `syndicate`.
NOT_FOR_BUILDING = {
    "kcat", "clang", "libclang-rt-14-dev", "clang-format", "clang-tidy", "postgresql", "time", "sqlite3", "curl",
    "procps", "python3", "python3-yaml", "openjdk-17-jdk-headless", "maven", "nodejs", "npm", "chromium",
    "python3-pip", "systemd",
}


class Checker:
    def __init__(self, deploy: Path, repo: Path, syndicate: Path):
        self.deploy = deploy
        self.repo = repo
        self.syndicate = syndicate
        self.errors: list[str] = []
        self.notes: list[str] = []
        self.help_cache: dict[tuple[str, ...], tuple[int, str]] = {}
        self.checked_configs: dict[Path, dict] = {}

    # ----------------------------------------------------------------------------- helpers
    def rel(self, path: Path) -> str:
        try:
            return str(path.resolve().relative_to(self.repo.resolve()))
        except ValueError:
            return str(path)

    def error(self, path: Path | str, where: str, msg: str) -> None:
        name = self.rel(path) if isinstance(path, Path) else path
        self.errors.append(f"{name}: {where}: {msg}" if where else f"{name}: {msg}")

    def load_yaml(self, path: Path) -> list:
        try:
            with open(path, encoding="utf-8") as f:
                return [d for d in yaml.safe_load_all(f) if d is not None]
        except (OSError, yaml.YAMLError) as e:
            self.error(path, "", f"cannot parse: {e}".replace("\n", " "))
            return []

    def help_of(self, words: tuple[str, ...]) -> tuple[int, str]:
        if words not in self.help_cache:
            try:
                p = subprocess.run([str(self.syndicate), *words, "--help"], capture_output=True, text=True,
                                   timeout=30)
                self.help_cache[words] = (p.returncode, p.stdout + p.stderr)
            except OSError as e:
                self.help_cache[words] = (127, str(e))
        return self.help_cache[words]

    def role_of(self, args: list[str]) -> tuple[str, ...] | None:
        words = tuple(a for a in args if not a.startswith("-"))
        for key in list(ROLES) + ONE_SHOT:
            if words[: len(key)] == key:
                return key
        return None

    def check_invocation(self, path: Path, where: str, args: list[str]) -> None:
        """The subcommand exists (each word is listed under Subcommands of its parent's --help) and
        takes every option given (`syndicate <sub> --help`)."""
        if not args:
            self.error(path, where, "no syndicate subcommand given")
            return
        words: list[str] = []
        for a in args:
            if a.startswith("-"):
                break
            rc, text = self.help_of(tuple(words))
            subs = subcommands_in_help(text)
            if rc != 0 or not subs:
                break  # the rest are positional arguments
            if a not in subs:
                self.error(path, where, f"`syndicate {' '.join(words + [a])}` is not a syndicate subcommand "
                                        f"(`syndicate {' '.join(words + ['--help'])}` lists {', '.join(subs)})")
                return
            words.append(a)
        rc, text = self.help_of(tuple(words))
        if rc != 0:
            first = text.strip().splitlines()[0] if text.strip() else f"exit {rc}"
            self.error(path, where, f"`syndicate {' '.join(words)} --help` failed: {first}")
            return
        for a in args:
            if a.startswith("--"):
                opt = a.split("=", 1)[0]
                if not re.search(r"(^|[\s,])" + re.escape(opt) + r"\b", text):
                    self.error(path, where, f"`syndicate {' '.join(words)}` has no option {opt}")

    def invoked_role(self, path: Path, where: str, args: list[str], probed: bool = True) -> tuple[str, ...] | None:
        """Checks the invocation and returns its role (ROLES or ONE_SHOT), reporting one it is not,
        and a role whose probes would fail because it serves no /healthz: the roles on
        observability.metrics take `--metrics-listen` (core's service::serve_metrics)."""
        self.check_invocation(path, where, args)
        role = self.role_of(args)
        if role is None:
            self.error(path, where, f"not a syndicate role: {' '.join(args)}")
        elif probed and role in ROLES and ROLES[role]["metrics"] is not None:
            rc, text = self.help_of(role)
            if rc == 0 and "--metrics-listen" not in text:
                self.error(path, where, f"`syndicate {' '.join(role)}` serves no /healthz or /readyz "
                                        f"(no --metrics-listen; observability.metrics.{ROLES[role]['metrics']} "
                                        "is not used): its health checks would fail")
        return role

    # ----------------------------------------------------------------------------- config files
    def check_config(self, path: Path, label: str | None = None, text: str | None = None) -> dict:
        """`syndicate config check` plus the production Kafka settings; returns the parsed config."""
        shown = label or self.rel(path)
        if text is None:
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as e:
                self.error(shown, "", f"cannot read: {e}")
                return {}
        try:
            cfg = yaml.safe_load(text) or {}
        except yaml.YAMLError as e:
            self.error(shown, "", f"cannot parse: {e}".replace("\n", " "))
            return {}
        env = dict(os.environ)
        for var in secret_variables(cfg):
            env[var] = "dummy-for-config-check"
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", encoding="utf-8", delete=False) as f:
            f.write(text)
            tmp = f.name
        try:
            p = subprocess.run([str(self.syndicate), "config", "check", tmp], capture_output=True, text=True,
                               env=env, timeout=60)
        except OSError as e:
            self.error(shown, "", f"cannot run {self.syndicate}: {e}")
            p = None
        finally:
            os.unlink(tmp)
        if p is not None and p.returncode != 0:
            problems = [ln.replace(tmp, shown) for ln in p.stderr.strip().splitlines()] or [f"exit {p.returncode}"]
            for ln in problems:
                self.error(shown, "syndicate config check", ln)
        kafka = cfg.get("kafka") or {}
        for role, topic in (kafka.get("topics") or {}).items():
            rf = topic.get("replication_factor")
            if rf != PRODUCTION_RF:
                self.error(shown, f"kafka.topics.{role}.replication_factor", f"expected {PRODUCTION_RF}, got {rf}")
            isr = str((topic.get("config") or {}).get("min.insync.replicas"))
            if isr != str(PRODUCTION_MIN_ISR):
                self.error(shown, f"kafka.topics.{role}.config.min.insync.replicas",
                           f"expected {PRODUCTION_MIN_ISR}, got {isr}")
        acks = str((kafka.get("client") or {}).get("acks"))
        if acks not in ("all", "-1"):
            self.error(shown, "kafka.client.acks", f"expected all (every in-sync replica), got {acks}")
        return cfg

    # ----------------------------------------------------------------------------- compose
    def check_compose(self, path: Path) -> None:
        docs = self.load_yaml(path)
        if not docs:
            return
        services = docs[0].get("services") or {}
        kafka_nodes = {}
        seen_roles = set()
        instances: dict[tuple, list] = {}
        for name, svc in services.items():
            where = f"services.{name}"
            image = svc.get("image")
            if not image:
                self.error(path, where + ".image", "missing")
                continue
            if image.endswith(":latest") or ":" not in image:
                self.error(path, where + ".image", f"pin a version, got {image}")
            if image.startswith("apache/kafka"):
                kafka_nodes[name] = svc
            if not image.startswith("syndicate"):
                if "healthcheck" not in svc:
                    self.error(path, where + ".healthcheck", "missing")
                continue
            user = str(svc.get("user", ""))
            if not user or user.split(":")[0] in ("0", "root"):
                self.error(path, where + ".user", f"must be a non-root user, got {user or 'none'}")
            args = [str(a) for a in svc.get("command") or []]
            role = self.invoked_role(path, where + ".command", args)
            if role is None:
                continue
            seen_roles.add(role)
            cfg = self.mounted_config(path, where, svc, args)
            if role in ROLES:
                port = role_port(cfg, role)
                test = " ".join(str(t) for t in (svc.get("healthcheck") or {}).get("test") or [])
                want = f":{port}/healthz"
                if want not in test:
                    self.error(path, where + ".healthcheck.test", f"expected a GET of http://127.0.0.1{want}, got {test or 'none'}")
                self.check_secrets_supplied(path, where, role, cfg, self.compose_env_names(path, svc), args)
            replicas = int(((svc.get("deploy") or {}).get("replicas")) or 1)
            instances.setdefault(role, []).append((where, args, replicas, cfg))
        # Instances of a role: the replicas of every service running it.
        for role, runs in instances.items():
            total = sum(r for _, _, r, _ in runs)
            for where, args, _, cfg in runs:
                self.check_feed_state_shared(path, where, role, args, total, cfg)
        for role in list(ROLES) + ONE_SHOT:
            if role not in seen_roles:
                self.error(path, "services", f"no service runs `syndicate {' '.join(role)}`")
        self.check_compose_kafka(path, kafka_nodes)

    def check_feed_state_shared(self, path: Path, where: str, role: tuple, args: list[str], replicas: int,
                                cfg: dict) -> None:
        """Several instances of `consume feed` / `serve feeds` need the PostgreSQL feed state: a SQLite
        file is one host's (docs/FEED.md "Several instances")."""
        if role in FEED_STATE_ROLES and replicas > 1 and feed_state(cfg, args)[0] != "postgres":
            self.error(path, where, f"{replicas} instances of `syndicate {' '.join(role)}` on a SQLite feed state: "
                                    "set feed.state.backend: postgres (or --state-backend postgres; one "
                                    "database shared by every instance)")

    def compose_env_names(self, path: Path, svc: dict) -> set[str]:
        names = set(svc.get("environment") or {})
        for entry in svc.get("env_file") or []:
            f = entry.get("path") if isinstance(entry, dict) else entry
            example = path.parent / (f + ".example")
            source = example if example.exists() else path.parent / f
            try:
                for line in source.read_text(encoding="utf-8").splitlines():
                    m = re.match(r"\s*#?\s*([A-Z][A-Z0-9_]*)=", line)
                    if m:
                        names.add(m.group(1))
            except OSError:
                self.error(path, "env_file", f"{self.rel(source)} does not exist")
        return names

    def mounted_config(self, path: Path, where: str, svc: dict, args: list[str]) -> dict:
        target = args[args.index("--config") + 1] if "--config" in args[:-1] else "/etc/syndicate/syndication.yaml"
        for v in svc.get("volumes") or []:
            if isinstance(v, str) and v.split(":")[1:2] == [target]:
                src = (path.parent / v.split(":")[0]).resolve()
                if src not in self.checked_configs:
                    self.checked_configs[src] = self.check_config(src)
                return self.checked_configs[src]
        self.error(path, where + ".volumes", f"no config file mounted at {target} (--config)")
        return {}

    def check_compose_kafka(self, path: Path, nodes: dict) -> None:
        if len(nodes) != 3:
            self.error(path, "services", f"expected a 3-node Kafka cluster (apache/kafka), got {len(nodes)} node(s)")
        wanted = {
            "KAFKA_DEFAULT_REPLICATION_FACTOR": str(PRODUCTION_RF),
            "KAFKA_MIN_INSYNC_REPLICAS": str(PRODUCTION_MIN_ISR),
            "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": str(PRODUCTION_RF),
            "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": str(PRODUCTION_RF),
            "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": str(PRODUCTION_MIN_ISR),
            "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "false",
        }
        ids = set()
        for name, svc in nodes.items():
            env = {k: str(v) for k, v in (svc.get("environment") or {}).items()}
            for key, value in wanted.items():
                if env.get(key) != value:
                    self.error(path, f"services.{name}.environment.{key}", f"expected {value}, got {env.get(key)}")
            ids.add(env.get("KAFKA_NODE_ID"))
            voters = env.get("KAFKA_CONTROLLER_QUORUM_VOTERS", "")
            if len([v for v in voters.split(",") if v]) != len(nodes):
                self.error(path, f"services.{name}.environment.KAFKA_CONTROLLER_QUORUM_VOTERS",
                           f"expected one voter per node ({len(nodes)}), got {voters or 'none'}")
            if "healthcheck" not in svc:
                self.error(path, f"services.{name}.healthcheck", "missing")
        if len(ids) != len(nodes):
            self.error(path, "services", f"Kafka node ids must be distinct, got {sorted(map(str, ids))}")

    # ----------------------------------------------------------------------------- secrets
    def check_secrets_supplied(self, path: Path, where: str, role: tuple, cfg: dict, names: set[str],
                               args: list[str] | None = None) -> None:
        for var in needed_secrets(cfg, role, args or []):
            if var not in names:
                self.error(path, where, f"`syndicate {' '.join(role)}` needs the secret variable {var}, which is not set")

    # ----------------------------------------------------------------------------- kubernetes
    def check_k8s(self, k8s: Path) -> None:
        docs: list[tuple[Path, dict]] = []
        for f in sorted(k8s.glob("*.yaml")):
            for d in self.load_yaml(f):
                if not isinstance(d, dict) or not d.get("kind") or not d.get("apiVersion"):
                    self.error(f, "", "a document without apiVersion and kind")
                    continue
                if not (d.get("metadata") or {}).get("name") and d["kind"] != "Kustomization":
                    self.error(f, d["kind"], "metadata.name missing")
                    continue
                docs.append((f, d))
        kust = next((d for f, d in docs if d["kind"] == "Kustomization"), None)
        applied = {f.name for f, d in docs if d["kind"] != "Kustomization"}
        if kust is None:
            self.error(k8s / "kustomization.yaml", "", "missing (a Kustomization listing every manifest)")
        else:
            listed = set(kust.get("resources") or [])
            for name in sorted(applied - listed):
                if not name.endswith(".example.yaml"):
                    self.error(k8s / "kustomization.yaml", "resources", f"{name} is not listed")
            for name in sorted(listed - applied):
                self.error(k8s / "kustomization.yaml", "resources", f"{name} does not exist")
        cfg = {}
        maps = [(f, d) for f, d in docs if d["kind"] == "ConfigMap"]
        for f, d in maps:
            for key, text in (d.get("data") or {}).items():
                if key.endswith((".yaml", ".yml")):
                    cfg = self.check_config(f, f"{self.rel(f)}: ConfigMap {d['metadata']['name']}: data.{key}", text)
                    self.compare_with_compose_config(f, d, key, cfg)
        for f, d in docs:
            if d["kind"] == "Secret" and not f.name.endswith(".example.yaml"):
                self.error(f, f"Secret {d['metadata']['name']}", "secret values do not belong in the repository: reference a Secret created from your secret store")
            if d["kind"] == "Secret" and any(v for v in list((d.get("stringData") or {}).values()) + list((d.get("data") or {}).values())):
                self.error(f, f"Secret {d['metadata']['name']}", "holds values: leave them empty in the example")
        pdbs = [(f, d) for f, d in docs if d["kind"] == "PodDisruptionBudget"]
        services = [(f, d) for f, d in docs if d["kind"] == "Service"]
        seen_roles = set()
        for f, d in docs:
            if d["kind"] not in ("Deployment", "Job"):
                continue
            where = f"{d['kind']} {d['metadata']['name']}"
            spec = d.get("spec") or {}
            pod = (spec.get("template") or {}).get("spec") or {}
            labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
            psc = pod.get("securityContext") or {}
            if psc.get("runAsNonRoot") is not True:
                self.error(f, where, "spec.template.spec.securityContext.runAsNonRoot: must be true")
            if psc.get("runAsUser", 1) == 0:
                self.error(f, where, "spec.template.spec.securityContext.runAsUser: must not be 0")
            for c in pod.get("containers") or []:
                cw = f"{where}: container {c.get('name')}"
                self.check_k8s_container(f, cw, c, cfg, d["kind"] == "Deployment", seen_roles, spec.get("replicas", 1))
            if d["kind"] == "Deployment":
                if not any(selects(p.get("spec", {}).get("selector", {}).get("matchLabels"), labels) for _, p in pdbs):
                    self.error(f, where, "no PodDisruptionBudget selects its pods")
                ports = {p.get("name"): p.get("containerPort") for c in pod.get("containers") or [] for p in c.get("ports") or []}
                roles = {self.role_of([str(a) for a in c.get("args") or []]) for c in pod.get("containers") or []}
                for role in roles & {("serve", "trigger"), ("serve", "feeds")}:
                    svc = [s for _, s in services if selects(s.get("spec", {}).get("selector"), labels)]
                    if not svc:
                        self.error(f, where, f"no Service selects the pods of `syndicate {' '.join(role)}`")
                    for s in svc:
                        for sp in s.get("spec", {}).get("ports") or []:
                            t = sp.get("targetPort")
                            if t not in ports and t not in ports.values():
                                self.error(f, f"Service {s['metadata']['name']}", f"targetPort {t} is no port of {where}")
        for role in list(ROLES) + ONE_SHOT:
            if role not in seen_roles:
                self.error(k8s, "", f"no Deployment or Job runs `syndicate {' '.join(role)}`")

    def check_k8s_container(self, f: Path, cw: str, c: dict, cfg: dict, long_running: bool, seen: set, replicas: int) -> None:
        image = c.get("image") or ""
        if not image:
            self.error(f, cw, "image: missing")
        elif image.endswith(":latest") or ":" not in image:
            self.error(f, cw, f"image: pin a version, got {image}")
        res = c.get("resources") or {}
        for part in ("requests", "limits"):
            for what in ("cpu", "memory"):
                if not (res.get(part) or {}).get(what):
                    self.error(f, cw, f"resources.{part}.{what}: missing")
        sc = c.get("securityContext") or {}
        if sc.get("allowPrivilegeEscalation") is not False:
            self.error(f, cw, "securityContext.allowPrivilegeEscalation: must be false")
        if sc.get("runAsUser") == 0:
            self.error(f, cw, "securityContext.runAsUser: must not be 0")
        if not image.startswith("syndicate"):
            return
        args = [str(a) for a in c.get("args") or []]
        role = self.invoked_role(f, cw + ": args", args)
        if role is None:
            return
        seen.add(role)
        mounts = {m.get("mountPath") for m in c.get("volumeMounts") or []}
        target = args[args.index("--config") + 1] if "--config" in args[:-1] else "/etc/syndicate/syndication.yaml"
        if os.path.dirname(target) not in mounts:
            self.error(f, cw, f"volumeMounts: nothing mounted at {os.path.dirname(target)} for --config {target}")
        if role not in ROLES or not long_running:
            return
        port = role_port(cfg, role)
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            get = (c.get(probe) or {}).get("httpGet") or {}
            if get.get("path") != path or str(get.get("port")) != str(port):
                self.error(f, cw, f"{probe}: expected httpGet {path} on port {port} (from the config), got "
                                  f"{get.get('path')} on port {get.get('port')}")
        info = ROLES[role]
        if info["group"]:
            topics = (cfg.get("kafka") or {}).get("topics") or {}
            parts = max((topics.get(t) or {}).get("partitions", 0) for t in info["topics"])
            if replicas > parts:
                self.error(f, cw, f"spec.replicas: {replicas} exceeds the {parts} partitions of "
                                  f"{', '.join(info['topics'])}: the extra consumers of group "
                                  f"{((cfg.get('consumers') or {}).get('groups') or {}).get(info['group'])} would sit idle")
        self.check_feed_state_shared(f, cw + ": spec.replicas", role, args, replicas, cfg)
        names = {e.get("name") for e in c.get("env") or []}
        self.check_secrets_supplied(f, cw, role, cfg, names, args)
        for e in c.get("env") or []:
            if "value" in e and e.get("name") in secret_variables(cfg):
                self.error(f, cw, f"env {e['name']}: a secret as a literal value: use valueFrom.secretKeyRef")

    def compare_with_compose_config(self, f: Path, d: dict, key: str, cfg: dict) -> None:
        base = self.deploy / "config" / "syndication.yaml"
        try:
            other = yaml.safe_load(base.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            return
        a = {**cfg, "kafka": {**(cfg.get("kafka") or {}), "bootstrap_servers": None}}
        b = {**other, "kafka": {**(other.get("kafka") or {}), "bootstrap_servers": None}}
        if a != b:
            diff = sorted(differences(a, b))
            self.error(f, f"ConfigMap {d['metadata']['name']}: data.{key}",
                       f"differs from {self.rel(base)} beyond kafka.bootstrap_servers at {', '.join(diff[:5])}")

    # ----------------------------------------------------------------------------- systemd
    def check_systemd(self, sd: Path) -> None:
        units = sorted(p for p in sd.iterdir() if p.suffix in (".service", ".target"))
        if not units:
            self.error(sd, "", "no unit files")
            return
        cfg = self.checked_configs.get((self.deploy / "config" / "syndication.yaml").resolve(), {})
        for u in units:
            sections = parse_unit(u, self)
            if u.suffix != ".service":
                continue
            svc = sections.get("Service", {})
            for key in ("ExecStart",):
                if key not in svc:
                    self.error(u, "[Service]", f"{key}: missing")
            if not svc.get("User") and svc.get("DynamicUser", [""])[-1] not in ("yes", "true"):
                self.error(u, "[Service]", "User= or DynamicUser=yes: missing (never run as root)")
            elif svc.get("User", [""])[-1] in ("root", "0"):
                self.error(u, "[Service]", "User: must not be root")
            for key, value in (("ProtectSystem", "strict"), ("NoNewPrivileges", "yes"), ("PrivateTmp", "yes"),
                               ("ProtectHome", "yes")):
                if svc.get(key, [""])[-1] != value:
                    self.error(u, "[Service]", f"{key}: expected {value}, got {svc.get(key, ['none'])[-1]}")
            if not any(e for e in svc.get("EnvironmentFile", []) if "secrets" in e):
                self.error(u, "[Service]", "EnvironmentFile: no secrets file (secrets come from the environment)")
            exec_start = svc.get("ExecStart", [""])[-1].split()
            if not exec_start or not exec_start[0].endswith("/syndicate"):
                self.error(u, "[Service]", f"ExecStart: expected the syndicate binary, got {' '.join(exec_start)}")
                continue
            args = exec_start[1:]
            if "@" in u.name:
                self.check_template_roles(u, sd / "roles", args, cfg)
            else:
                self.check_invocation(u, "[Service] ExecStart", args)
        self.systemd_verify(sd, units)

    def check_template_roles(self, unit: Path, roles_dir: Path, tail: list[str], cfg: dict) -> None:
        seen = set()
        names = set()
        example = self.deploy / "secrets.env.example"
        if example.exists():
            names = {m.group(1) for m in re.finditer(r"^\s*#?\s*([A-Z][A-Z0-9_]*)=", example.read_text(encoding="utf-8"), re.M)}
        for env in sorted(roles_dir.glob("*.env")):
            values = dict(re.findall(r"^([A-Z_]+)=(.*)$", env.read_text(encoding="utf-8"), re.M))
            if "SYNDICATE_ARGS" not in values:
                self.error(env, "SYNDICATE_ARGS", "missing")
                continue
            args = values["SYNDICATE_ARGS"].split() + [a for a in tail if a != "$SYNDICATE_ARGS"]
            role = self.invoked_role(env, f"{unit.name} ExecStart", args, probed=False)
            if role is None:
                continue
            seen.add(role)
            self.check_secrets_supplied(env, "SYNDICATE_ARGS", role, cfg, names, args)
        for role in ROLES:
            if role not in seen:
                self.error(roles_dir, "", f"no role file runs `syndicate {' '.join(role)}`")

    def systemd_verify(self, sd: Path, units: list[Path]) -> None:
        tool = shutil.which("systemd-analyze")
        if tool is None:
            self.notes.append("systemd-analyze not installed: `systemd-analyze verify` skipped")
            return
        with tempfile.TemporaryDirectory() as tmp:
            targets = []
            for u in units:
                text = u.read_text(encoding="utf-8").replace("/usr/local/bin/syndicate", str(self.syndicate.resolve()))
                (Path(tmp) / u.name).write_text(text, encoding="utf-8")
                name = u.name.replace("@.", "@archive.") if "@." in u.name else u.name
                targets.append(str(Path(tmp) / name))
            p = subprocess.run([tool, "verify", "--man=no", *targets], capture_output=True, text=True, timeout=120,
                               env={**os.environ, "SYSTEMD_LOG_LEVEL": "notice"})
            lines = [ln.replace(tmp + "/", "") for ln in (p.stdout + p.stderr).splitlines() if ln.strip()]
            bad = [ln for ln in lines if p.returncode != 0 or re.search(r"Unknown|ignoring|Failed|not executable|Invalid", ln)]
            for ln in bad:
                self.error(sd, "systemd-analyze verify", ln)
            if p.returncode != 0 and not bad:
                self.error(sd, "systemd-analyze verify", f"exit {p.returncode}")

    # ----------------------------------------------------------------------------- Dockerfile
    def check_dockerfile(self, path: Path) -> None:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            self.error(path, "", "missing")
            return
        lines = re.sub(r"\\\n", " ", text).splitlines()
        stages: list[dict] = []
        for ln in lines:
            m = re.match(r"\s*([A-Za-z]+)\s+(.*)", ln)
            if not m or ln.lstrip().startswith("#"):
                continue
            ins, rest = m.group(1).upper(), m.group(2)
            if ins == "FROM":
                stages.append({"from": rest, "lines": []})
            elif not stages:
                if ins != "ARG":
                    self.error(path, ins, "before the first FROM")
                continue
            else:
                stages[-1]["lines"].append((ins, rest))
        if len(stages) < 2:
            self.error(path, "FROM", f"expected a multi-stage build (build and runtime), got {len(stages)} stage(s)")
            return
        build, final = stages[0], stages[-1]
        if "debian:12" not in build["from"]:
            self.error(path, "FROM (build stage)", f"expected debian:12, got {build['from']}")
        installed = set()
        for ins, rest in build["lines"]:
            if ins == "RUN" and "apt-get install" in rest:
                installed |= set(re.findall(r"(?<![\w-])([a-z0-9][a-z0-9.+-]+)", rest.split("apt-get install", 1)[1]))
        for pkg in install_deps_packages(self.repo / "scripts" / "install-deps.sh", self):
            if pkg not in NOT_FOR_BUILDING and pkg not in installed:
                self.error(path, "build stage apt-get install", f"{pkg} (from scripts/install-deps.sh) is missing")
        users = [rest.strip() for ins, rest in final["lines"] if ins == "USER"]
        if not users or users[-1].split(":")[0] in ("root", "0"):
            self.error(path, "USER (runtime stage)", f"must be a non-root user, got {users[-1] if users else 'none'}")
        entry = [rest for ins, rest in final["lines"] if ins == "ENTRYPOINT"]
        if not entry or "syndicate" not in entry[-1]:
            self.error(path, "ENTRYPOINT (runtime stage)", f"expected syndicate, got {entry[-1] if entry else 'none'}")
        if not any(ins == "HEALTHCHECK" for ins, _ in final["lines"]):
            self.error(path, "HEALTHCHECK (runtime stage)", "missing")
        for ins, rest in final["lines"]:
            if ins == "COPY" and "--from" not in rest:
                src = rest.split()[0]
                if not (self.repo / src).exists():
                    self.error(path, "COPY", f"{src} does not exist in the build context")
            if ins == "RUN" and re.search(r"\b(build-essential|-dev)\b", rest):
                self.error(path, "RUN (runtime stage)", "installs build packages: the runtime stage takes runtime libraries only")
        ignore = self.repo / ".dockerignore"
        if not ignore.exists():
            self.error(ignore, "", "missing")
        else:
            entries = {ln.strip() for ln in ignore.read_text(encoding="utf-8").splitlines()}
            for need in (".git", "build", "node_modules"):
                if need not in entries:
                    self.error(ignore, "", f"{need} is not ignored")


# --------------------------------------------------------------------------------- free helpers
def secret_variables(cfg) -> set[str]:
    """Every variable an `_env` key (or kafka.client_env) names."""
    out = set()
    if isinstance(cfg, dict):
        for k, v in cfg.items():
            if isinstance(v, str) and str(k).endswith("_env") and v:
                out.add(v)
            elif k == "client_env" and isinstance(v, dict):
                out |= {str(x) for x in v.values()}
            else:
                out |= secret_variables(v)
    elif isinstance(cfg, list):
        for v in cfg:
            out |= secret_variables(v)
    return out


def option_value(args: list[str], name: str, default: str) -> str:
    """The value of `name VALUE` or `name=VALUE` in args, else default."""
    for i, a in enumerate(args):
        if a == name and i + 1 < len(args):
            return args[i + 1]
        if a.startswith(name + "="):
            return a.split("=", 1)[1]
    return default


def feed_state(cfg: dict, args: list[str]) -> tuple[str, str]:
    """The feed state's backend and conninfo variable: the --state-backend / --state-pg-env flags,
    else feed.state in the config, else the defaults (sqlite, SYNDICATE_FEED_PG)."""
    state = (cfg.get("feed") or {}).get("state") or {}
    backend = option_value(list(args), "--state-backend", str(state.get("backend") or "sqlite"))
    env = ((state.get("postgres") or {}).get("conninfo_env")) or "SYNDICATE_FEED_PG"
    return backend, option_value(list(args), "--state-pg-env", str(env))


def needed_secrets(cfg: dict, role: tuple, args: list[str] = ()) -> set[str]:
    """The variables a role reads at start-up, per docs/CONFIGURATION.md (and docs/FEED.md for the
    feed state's --state-pg-env)."""
    out = {str(v) for v in ((cfg.get("kafka") or {}).get("client_env") or {}).values()}
    if role == ("serve", "trigger"):
        token = ((cfg.get("producer") or {}).get("trigger") or {}).get("token_env")
        if token:
            out.add(token)
    if role == ("consume", "archive") and (cfg.get("archive") or {}).get("backend") == "postgres":
        out.add(((cfg.get("archive") or {}).get("postgres") or {}).get("conninfo_env", "SYNDICATE_ARCHIVE_PG"))
    if role == ("consume", "feed"):
        out |= {a["app_secret_env"] for a in (cfg.get("feed") or {}).get("accounts") or []
                if a.get("app_id") and a.get("app_secret_env")}
    backend, env = feed_state(cfg, list(args))
    if role in FEED_STATE_ROLES and backend == "postgres":
        out.add(env)
    if role == ("translate",):
        out |= {t["api_key_env"] for t in (cfg.get("translation") or {}).get("targets") or [] if t.get("api_key_env")}
    return out


def role_port(cfg: dict, role: tuple) -> str:
    """The port of a role's /healthz: observability.metrics.<role>, or the feed server's listen."""
    key = ROLES[role]["metrics"]
    if key is None:
        listen = ((cfg.get("feed") or {}).get("server") or {}).get("listen", "")
    else:
        listen = ((cfg.get("observability") or {}).get("metrics") or {}).get(key, "")
    return str(listen).rsplit(":", 1)[-1] if listen else "(not served: observability.metrics is empty)"


def subcommands_in_help(text: str) -> list[str]:
    """The names under CLI11's `Subcommands:` heading."""
    out, inside = [], False
    for line in text.splitlines():
        if line.startswith("Subcommands:"):
            inside = True
        elif inside and line.startswith("  ") and line.strip():
            out.append(line.split()[0])
        elif inside and line.strip():
            inside = False
    return out


def selects(selector, labels: dict) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def differences(a, b, path="") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in set(a) | set(b):
            out += differences(a.get(k), b.get(k), f"{path}.{k}" if path else str(k))
        return out
    return [] if a == b else [path]


def parse_unit(path: Path, checker: Checker) -> dict[str, dict[str, list[str]]]:
    """A unit file as {section: {key: [values...]}} (keys may repeat); syntax errors are reported."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    text = path.read_text(encoding="utf-8").replace("\\\n", " ")
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            if not line.endswith("]"):
                checker.error(path, f"line {n}", f"bad section header {line}")
            current = sections.setdefault(line.strip("[]"), {})
        elif "=" in line and current is not None:
            k, v = line.split("=", 1)
            current.setdefault(k.strip(), []).append(v.strip())
        else:
            checker.error(path, f"line {n}", f"expected KEY=VALUE inside a [Section], got {line}")
    return sections


def install_deps_packages(path: Path, checker: Checker) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        checker.error(path, "", "missing")
        return []
    m = re.search(r"^packages=\((.*?)^\)", text, re.S | re.M)
    if not m:
        checker.error(path, "packages", "no packages=( ... ) array")
        return []
    return re.sub(r"#.*", "", m.group(1)).split()


def main() -> int:
    here = Path(__file__).resolve().parent
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--syndicate", default=str(here.parent / "build" / "app" / "syndicate"), help="the syndicate binary")
    ap.add_argument("--deploy-dir", default=str(here), help="the deploy/ directory to check")
    ap.add_argument("--repo", default=str(here.parent), help="the repository root (Dockerfile build context)")
    a = ap.parse_args()
    syndicate = Path(a.syndicate)
    if not os.access(syndicate, os.X_OK):
        print(f"deploy/check.py: {syndicate}: not an executable syndicate binary (build it first)", file=sys.stderr)
        return 2
    c = Checker(Path(a.deploy_dir), Path(a.repo), syndicate)
    for cfg in sorted((c.deploy / "config").glob("*.yaml")):
        c.checked_configs[cfg.resolve()] = c.check_config(cfg)
    c.check_compose(c.deploy / "docker-compose.yml")
    c.check_k8s(c.deploy / "k8s")
    c.check_systemd(c.deploy / "systemd")
    c.check_dockerfile(c.deploy / "docker" / "Dockerfile")
    for note in c.notes:
        print(f"note: {note}")
    if c.errors:
        for e in c.errors:
            print(e, file=sys.stderr)
        print(f"deploy/check.py: {len(c.errors)} problem(s)", file=sys.stderr)
        return 1
    print(f"deploy/check.py: ok (compose, k8s, systemd, Dockerfile; {len(c.help_cache)} subcommands, "
          f"{len(c.checked_configs) + 1} configs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
