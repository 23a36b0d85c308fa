#!/usr/bin/env bash
# 0701-compose-files.sh — docker-compose.yml, the Dockerfile and config/compose/ checked as far
# as a machine without a Docker engine allows (issue 7 item 6): the compose file parses with
# brandpulse's own YAML loader; every brandpulse service runs a program that exists in bin/, with
# a config file that exists and passes the program's own configuration check inside a copy of
# the container's file layout (its mounts under WORKDIR), with every secret it names passed in
# by the service's environment; health checks probe the port the config serves metrics on;
# topics the configs name are created by kafka-init; the Dockerfile's COPY sources exist, its
# runtime stage installs the package of every shared library the programs link.
source "$(dirname "$0")/lib.sh"
cd "$BP_ROOT" || bp_fail "no BP_ROOT"

[ -x "$BP_BIN/bp-yamlcheck" ] || bp_fail "bin/bp-yamlcheck missing (tools/ops.mk)"

# --- the project's loader refuses what it must (so that the OK below means something) ---
printf 'a: 1\na: 2\n' >"$T/dup.yaml"
printf 'x: &A {k: 1}\ny: *A\n' >"$T/alias.yaml"
for f in dup alias; do
  out=$("$BP_BIN/bp-yamlcheck" "$T/$f.yaml" 2>&1) && bp_fail "bp-yamlcheck accepted $f.yaml"
  echo "$out" | grep -qE "^$T/$f.yaml:[0-9]+:[0-9]+: " || bp_fail "no file:line:col in: $out"
done

"$BP_BIN/bp-yamlcheck" docker-compose.yml || bp_fail "docker-compose.yml does not parse"
"$BP_BIN/bp-yamlcheck" --json docker-compose.yml >"$T/compose.json" || bp_fail "json dump"

# --- everything else is easier to say in Python; it prints one line per problem ---
BP_T="$T" python3 - <<'PY' || exit 1
import json, os, re, subprocess, sys, shutil

root = os.getcwd()
T = os.environ["BP_T"]
BIN = os.environ["BP_BIN"]
problems = []
def bad(msg):
    problems.append(msg)
    print("PROBLEM:", msg)

def yaml_json(path):
    r = subprocess.run([os.path.join(BIN, "bp-yamlcheck"), "--json", path],
                       capture_output=True, text=True)
    if r.returncode != 0:
        bad(f"{path}: {r.stderr.strip()}")
        return None
    return json.loads(r.stdout)

compose = json.load(open(os.path.join(T, "compose.json")))
services = compose.get("services") or {}
volumes_top = compose.get("volumes") or {}
if not services:
    bad("docker-compose.yml has no services")

# --- the Dockerfile ---
dockerfile = open("Dockerfile").read()
lines = []
for raw in re.sub(r"\\\n", " ", dockerfile).splitlines():
    s = raw.strip()
    if s and not s.startswith("#"):
        lines.append(s)
stages = []      # (name, base)
workdir = {}     # stage -> WORKDIR
copies = []      # (stage, from_stage or None, [sources], dest)
runs = {}        # stage -> RUN text
cur = None
for l in lines:
    word, _, rest = l.partition(" ")
    word = word.upper()
    if word == "FROM":
        m = re.match(r"(\S+)(?:\s+AS\s+(\S+))?", rest, re.I)
        cur = m.group(2) or str(len(stages))
        stages.append((cur, m.group(1)))
    elif word == "WORKDIR":
        workdir[cur] = rest.strip()
    elif word == "COPY":
        args = rest.split()
        frm = None
        while args and args[0].startswith("--"):
            if args[0].startswith("--from="):
                frm = args[0][len("--from="):]
            args = args[1:]
        copies.append((cur, frm, args[:-1], args[-1]))
    elif word == "RUN":
        runs[cur] = runs.get(cur, "") + " " + rest
if len(stages) < 2:
    bad("Dockerfile: expected a multi-stage build (build + runtime)")
for name, base in stages:
    if not base.startswith("debian:bookworm"):
        bad(f"Dockerfile: stage {name} is FROM {base}, expected debian:bookworm*")
runtime = stages[-1][0] if stages else None
run_wd = workdir.get(runtime, "/")
build_stage_names = [s[0] for s in stages[:-1]]

# COPY sources from the build context exist (and are not kept out by .dockerignore)
ignore = [l.strip() for l in open(".dockerignore").read().splitlines()
          if l.strip() and not l.startswith("#")]
for want in (".git", "build/", "bin/", ".env"):
    if want not in ignore:
        bad(f".dockerignore does not exclude {want}")
for stage, frm, srcs, dest in copies:
    for s in srcs:
        if frm:
            if frm not in build_stage_names:
                bad(f"Dockerfile: COPY --from={frm}: no such stage")
            continue
        if not os.path.exists(os.path.join(root, s)):
            bad(f"Dockerfile: COPY {s}: not in the build context")
        top = s.rstrip("/").split("/")[0] + "/"
        if s not in (".", "./") and (top in ignore or s.rstrip("/") in ignore):
            bad(f"Dockerfile: COPY {s} is excluded by .dockerignore")
if not any(frm and any(x.rstrip("/").endswith("bin") for x in srcs)
           for _, frm, srcs, _ in copies):
    bad("Dockerfile: the runtime stage does not COPY --from the build stage's bin/")
if "make" not in runs.get(build_stage_names[0] if build_stage_names else "", ""):
    bad("Dockerfile: the build stage does not run make")

# runtime packages: the package of every library our programs link directly
pkgs_rt = set(re.findall(r"\b(lib[a-z0-9][a-z0-9.+-]*|ca-certificates|tzdata)\b",
                         runs.get(runtime, "")))
needed = {}
for prog in sorted(os.listdir(BIN)):
    path = os.path.join(BIN, prog)
    r = subprocess.run(["readelf", "-d", path], capture_output=True, text=True)
    for so in re.findall(r"\(NEEDED\).*\[(.+?)\]", r.stdout):
        needed.setdefault(so, prog)
for so, prog in sorted(needed.items()):
    r = subprocess.run(["bash", "-c", f"ldconfig -p | awk '$1==\"{so}\" {{print $NF; exit}}'"],
                       capture_output=True, text=True)
    lib = r.stdout.strip()
    if not lib:
        bad(f"{so} (needed by {prog}) not found on this machine")
        continue
    r = subprocess.run(["dpkg", "-S", os.path.realpath(lib)], capture_output=True, text=True)
    if r.returncode != 0:
        r = subprocess.run(["dpkg", "-S", lib], capture_output=True, text=True)
    pkg = r.stdout.split(":")[0].strip()
    if pkg in ("libc6", "") or re.match(r"lib(a|ub|t|l|hwa)san\d*$", pkg):
        continue  # in every Debian image; sanitizer runtimes only in SANITIZE=1 builds
    if pkg not in pkgs_rt:
        bad(f"Dockerfile runtime stage does not install {pkg} (for {so}, linked by {prog})")
if "ca-certificates" not in pkgs_rt:
    bad("Dockerfile runtime stage lacks ca-certificates (HTTPS to the APIs)")

# --- the services ---
def as_list(cmd):
    if isinstance(cmd, list):
        return cmd
    return cmd.split() if isinstance(cmd, str) else []

kafka_init = None
bp_services = {}
for name, svc in services.items():
    if "restart" not in svc:
        bad(f"service {name}: no restart policy")
    if name == "kafka":
        if not str(svc.get("image", "")).startswith("apache/kafka:"):
            bad("service kafka: not the official apache/kafka image")
        env = svc.get("environment") or {}
        if "controller" not in str(env.get("KAFKA_PROCESS_ROLES", "")):
            bad("service kafka: not in KRaft mode (KAFKA_PROCESS_ROLES)")
        if "healthcheck" not in svc:
            bad("service kafka: no healthcheck")
        continue
    if "build" in svc:
        bp_services[name] = svc
    elif name.startswith("kafka-init"):
        kafka_init = svc

if kafka_init is None:
    bad("no kafka-init service (topic creation)")
if "filter" not in bp_services:
    bad("no filter service")
else:
    f = bp_services["filter"]
    if "container_name" in f:
        bad("service filter has container_name: it cannot be scaled")
    for p in f.get("ports") or []:
        bad(f"service filter publishes port {p}: --scale filter=N would collide")
for want in ("alerter",):
    if want not in bp_services:
        bad(f"no {want} service")

topics_named = set()
layout = os.path.join(T, "containers")
for name, svc in bp_services.items():
    b = svc["build"]
    if isinstance(b, dict) and b.get("target") not in (None, runtime):
        bad(f"service {name}: builds target {b.get('target')}, the runtime stage is {runtime}")
    cmd = as_list(svc.get("command"))
    if not cmd:
        bad(f"service {name}: no command")
        continue
    prog = cmd[0]
    if not os.access(os.path.join(BIN, prog), os.X_OK):
        bad(f"service {name}: command {prog} is not in bin/")
        continue
    if svc.get("restart") not in ("unless-stopped", "always", "on-failure"):
        bad(f"service {name}: restart {svc.get('restart')!r} does not bring it back")
    if "stop_grace_period" not in svc:
        bad(f"service {name}: no stop_grace_period (bounded graceful shutdown)")

    # the container's view of WORKDIR: every mount under it, from the host
    croot = os.path.join(layout, name)
    os.makedirs(croot)
    mounts = {}
    for v in svc.get("volumes") or []:
        parts = v.split(":")
        src, dst = parts[0], parts[1]
        if src.startswith(".") or src.startswith("/"):
            hsrc = os.path.normpath(os.path.join(root, src))
            if not os.path.exists(hsrc):
                bad(f"service {name}: mounts {src}, which does not exist")
                continue
        else:
            if src not in volumes_top:
                bad(f"service {name}: volume {src} is not declared under volumes:")
            hsrc = None  # a named volume: an empty directory
        mounts[dst] = hsrc
        if not dst.startswith(run_wd.rstrip("/") + "/"):
            continue
        rel = os.path.relpath(dst, run_wd)
        tgt = os.path.join(croot, rel)
        os.makedirs(os.path.dirname(tgt), exist_ok=True)
        if hsrc is None:
            os.makedirs(tgt, exist_ok=True)
        else:
            os.symlink(hsrc, tgt)
    # what the image itself brings (COPY into the runtime stage), unless a mount hides it
    for stage, frm, srcs, dest in copies:
        if stage != runtime or frm:
            continue
        rel = os.path.relpath(dest.rstrip("/"), run_wd)
        tgt = os.path.join(croot, rel)
        if rel.startswith("..") or os.path.lexists(tgt):
            continue
        os.makedirs(os.path.dirname(tgt), exist_ok=True)
        os.symlink(os.path.join(root, srcs[0]), tgt)
    for d in ("state", "inbox"):
        os.makedirs(os.path.join(croot, d), exist_ok=True)

    # the config file: -c PATH, relative to WORKDIR or absolute inside the container
    if "-c" not in cmd or cmd.index("-c") + 1 >= len(cmd):
        bad(f"service {name}: no -c FILE in its command")
        continue
    cpath = cmd[cmd.index("-c") + 1]
    cabs = cpath if cpath.startswith("/") else os.path.join(run_wd, cpath)
    if cabs not in mounts or mounts[cabs] is None:
        bad(f"service {name}: its config {cabs} is not mounted from the repository")
        continue
    host_cfg = mounts[cabs]
    cfg = yaml_json(host_cfg)
    if cfg is None:
        continue

    # secrets: every {env: NAME} in the config must come from the service's environment
    env = svc.get("environment") or {}
    if isinstance(env, list):
        env = dict(e.split("=", 1) if "=" in e else (e, "") for e in env)
    def walk(n):
        if isinstance(n, dict):
            if set(n) <= {"env", "file"} and "env" in n:
                yield n["env"]
            for v in n.values():
                yield from walk(v)
        elif isinstance(n, list):
            for v in n:
                yield from walk(v)
    secrets = sorted(set(walk(cfg)))
    for s in secrets:
        if s not in env:
            bad(f"service {name}: {os.path.relpath(host_cfg, root)} reads secret {s}, "
                f"which the service's environment does not pass")
    for k, v in env.items():
        if v and not str(v).startswith("${"):
            bad(f"service {name}: environment {k} has a literal value (secrets come from .env)")

    # health check on the port the config serves metrics on
    listen = str(cfg.get("metrics_listen") or "")
    hc = svc.get("healthcheck") or {}
    test = " ".join(as_list(hc.get("test")))
    if not listen:
        bad(f"service {name}: metrics_listen is empty in its config (no /healthz)")
    else:
        host, _, port = listen.rpartition(":")
        if host not in ("0.0.0.0", "::", "[::]", ""):
            bad(f"service {name}: metrics_listen {listen} is not reachable from Prometheus")
        if f"127.0.0.1:{port}/healthz" not in test or "bp-probe" not in test:
            bad(f"service {name}: healthcheck {test!r} does not probe "
                f"http://127.0.0.1:{port}/healthz with bp-probe")
    for t in (cfg.get("topics") or {}).values():
        topics_named.add(t)
    for t in ("posts", "mentions", "alerts", "deadletter", "deliveries"):
        if t not in (cfg.get("topics") or {}):
            topics_named.add("bp." + t)  # the default applies
    brokers = str((cfg.get("kafka") or {}).get("brokers") or env.get("BP_BROKERS", ""))
    if "kafka:9092" not in brokers:
        bad(f"service {name}: Kafka brokers {brokers!r} is not the compose broker kafka:9092")

    # the program's own configuration check, in the container's layout
    h = subprocess.run([os.path.join(BIN, prog), "--help"], capture_output=True, text=True)
    flag = ("--check-config" if "--check-config" in h.stdout
            else "--check" if re.search(r"--check\b", h.stdout) else None)
    if not flag:
        bad(f"service {name}: {prog} has no --check-config (or --check) option")
        continue
    penv = {k: v for k, v in os.environ.items() if k != "BP_BROKERS"}
    for s in secrets:
        penv[s] = "test-secret-value"
    r = subprocess.run([os.path.join(BIN, prog), "-c", cpath, flag], cwd=croot, env=penv,
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        bad(f"service {name}: {prog} -c {cpath} {flag} exited {r.returncode}: "
            f"{(r.stderr or r.stdout).strip()[-400:]}")
    else:
        print(f"ok: {name}: {prog} {flag} accepts {os.path.relpath(host_cfg, root)}")
    # the same check must be able to fail: a misspelt key is refused
    broken = os.path.join(T, f"{name}-broken.yaml")
    with open(host_cfg) as src, open(broken, "w") as dst:
        dst.write(src.read() + "\nno_such_key_anywhere: 1\n")
    r = subprocess.run([os.path.join(BIN, prog), "-c", broken, flag], cwd=croot, env=penv,
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 2:
        bad(f"service {name}: {prog} {flag} accepted an unknown key (exit {r.returncode})")

# --- kafka-init creates every topic a config names ---
if kafka_init is not None:
    script = None
    for v in kafka_init.get("volumes") or []:
        src = v.split(":")[0]
        if src.endswith(".sh"):
            script = os.path.join(root, src)
    if not script or not os.path.exists(script):
        bad("kafka-init: its topic script is not mounted from the repository")
    else:
        text = open(script).read()
        created = set(re.findall(r"^topic\s+(\S+)", text, re.M))
        for t in sorted(topics_named - created):
            bad(f"topic {t} is named by a config but not created by {os.path.relpath(script, root)}")
    if (kafka_init.get("depends_on") or {}).get("kafka", {}).get("condition") != "service_healthy":
        bad("kafka-init does not wait for kafka to be healthy")
    for name, svc in bp_services.items():
        dep = (svc.get("depends_on") or {}).get("kafka-init") or {}
        if dep.get("condition") != "service_completed_successfully":
            bad(f"service {name}: does not wait for kafka-init to complete")

# --- Prometheus (if present) scrapes every brandpulse service ---
prom = services.get("prometheus")
if prom:
    src = [v.split(":")[0] for v in prom.get("volumes") or [] if v.split(":")[0].endswith(".yml")]
    pcfg = yaml_json(os.path.join(root, src[0])) if src else None
    names = set()
    for job in (pcfg or {}).get("scrape_configs") or []:
        for sd in job.get("dns_sd_configs") or []:
            names.update(sd.get("names") or [])
        for sc in job.get("static_configs") or []:
            names.update(t.split(":")[0] for t in sc.get("targets") or [])
    for name in bp_services:
        if name not in names:
            bad(f"prometheus does not scrape service {name}")

print(f"{len(bp_services)} brandpulse services checked, {len(problems)} problem(s)")
sys.exit(1 if problems else 0)
PY
