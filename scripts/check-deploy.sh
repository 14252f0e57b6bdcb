#!/usr/bin/env bash
# Checks the deployment files in deploy/ without deploying anything:
#   1. every YAML file parses (PyYAML, safe_load_all), and the Kubernetes manifests agree with
#      each other (names, ports, worker count, grace period, --resume, --token-file); when
#      `kubernetes-validate` is on PATH, they are also checked against the API schemas;
#   2. shellcheck passes on every shell script in deploy/ and scripts/ (and python/run-tests.sh),
#      and on the shell snippets embedded in the Kubernetes manifests;
#   3. `systemd-analyze verify` accepts the units, with no warning at all (skipped with a message
#      when systemd-analyze is absent), and systemd-sysusers accepts the sysusers.d file;
#   4. the Containerfile has its named stages and the libraries the runtime needs.
# Missing tools (PyYAML, shellcheck) are installed with apt-get when possible.
#
# Usage, from anywhere:  bash scripts/check-deploy.sh      Exit status: 0 when everything passes.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 2

failures=0
pass() { printf 'ok    %s\n' "$*"; }
fail() { printf 'FAIL  %s\n' "$*"; failures=$((failures + 1)); }
skip() { printf 'skip  %s\n' "$*"; }
section() { printf '\n== %s\n' "$*"; }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/check-deploy.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

apt_install() {
  command -v apt-get > /dev/null 2>&1 || return 1
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo > /dev/null 2>&1 || return 1
    sudo=sudo
  fi
  echo "installing $* with apt-get"
  $sudo apt-get update -qq > /dev/null && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" > /dev/null
}

# ---------------------------------------------------------------------------------------------
section "YAML"
python=""
for candidate in python3 /usr/bin/python3; do
  if command -v "$candidate" > /dev/null 2>&1 && "$candidate" -c 'import yaml' 2> /dev/null; then
    python=$candidate
    break
  fi
done
if [ -z "$python" ] && apt_install python3-yaml && /usr/bin/python3 -c 'import yaml' 2> /dev/null; then
  python=/usr/bin/python3
fi

mapfile -t yaml_files < <(find deploy -type f \( -name '*.yaml' -o -name '*.yml' \) | sort)
if [ -z "$python" ]; then
  fail "no python3 with PyYAML (install python3-yaml); YAML not checked"
elif [ "${#yaml_files[@]}" -eq 0 ]; then
  fail "no YAML files under deploy/"
else
  for file in "${yaml_files[@]}"; do
    if message=$("$python" - "$file" 2>&1 <<'PY'
import sys, yaml
path = sys.argv[1]
try:
    with open(path, encoding="utf-8") as handle:
        documents = [d for d in yaml.safe_load_all(handle) if d is not None]
except yaml.YAMLError as error:
    sys.exit(f"does not parse: {error}")
if not documents:
    sys.exit("no YAML document")
for document in documents:
    if not isinstance(document, dict) or "apiVersion" not in document or "kind" not in document:
        sys.exit("a document without apiVersion and kind")
PY
    ); then
      pass "$file parses"
    else
      fail "$file: $message"
    fi
  done

  # The manifests must agree with each other: one wrong name and the workers never connect.
  if message=$("$python" - deploy/kubernetes 2>&1 <<'PY'
import os, re, sys, yaml

folder = sys.argv[1]
objects = {}
problems = []
for name in sorted(os.listdir(folder)):
    if name.endswith((".yaml", ".yml")):
        try:
            with open(os.path.join(folder, name), encoding="utf-8") as handle:
                documents = list(yaml.safe_load_all(handle))
        except yaml.YAMLError:
            continue  # reported above
        for document in documents:
            if isinstance(document, dict) and "kind" in document:
                objects[(document["kind"], (document.get("metadata") or {}).get("name"))] = (name, document)
def check(condition, text):
    if not condition:
        problems.append(text)

def one(kind):
    found = [doc for (k, _), (_, doc) in objects.items() if k == kind]
    check(len(found) == 1, f"expected exactly one {kind}, found {len(found)}")
    return found[0] if found else {}

kustomization = one("Kustomization")
for resource in kustomization.get("resources", []):
    check(os.path.exists(os.path.join(folder, resource)), f"kustomization lists missing file {resource}")
check(not any("secret" in r for r in kustomization.get("resources", [])), "the kustomization must not ship a Secret")

statefulset, service, job, config = one("StatefulSet"), one("Service"), one("Job"), one("ConfigMap")
sts_spec = statefulset.get("spec", {})
pod = sts_spec.get("template", {}).get("spec", {})
check(sts_spec.get("replicas") == 1, "the coordinator StatefulSet must have one replica")
check(service.get("spec", {}).get("clusterIP") == "None", "the coordinator Service must be headless")
check(sts_spec.get("serviceName") == service["metadata"]["name"], "StatefulSet serviceName must name the headless Service")
check(pod.get("terminationGracePeriodSeconds") == 60, "coordinator terminationGracePeriodSeconds must be 60")
coordinator = pod["containers"][0]
script = " ".join(coordinator.get("command", []) + coordinator.get("args", []))
for flag in ("coordinator", "--resume", "--token-file", "--expect-workers", "--listen 0.0.0.0:7070"):
    check(flag in script, f"coordinator command lacks {flag}")
check(coordinator.get("readinessProbe", {}).get("tcpSocket") is not None, "coordinator needs a tcpSocket readiness probe")
check("resources" in coordinator, "coordinator needs resources")
selector = sts_spec.get("selector", {}).get("matchLabels", {})
labels = sts_spec.get("template", {}).get("metadata", {}).get("labels", {})
check(service["spec"].get("selector") == selector and all(labels.get(k) == v for k, v in selector.items()),
      "Service selector, StatefulSet selector and pod labels must agree")
ports = [p["containerPort"] for p in coordinator.get("ports", [])]
check([p["port"] for p in service["spec"]["ports"]] == ports == [7070], "coordinator port must be 7070 everywhere")
claims = [t["metadata"]["name"] for t in sts_spec.get("volumeClaimTemplates", [])]
check("out" in claims, "the coordinator needs an OUT volumeClaimTemplate named out")

job_spec = job.get("spec", {})
worker_pod = job_spec.get("template", {}).get("spec", {})
worker = worker_pod["containers"][0]
check(job_spec.get("completionMode") == "Indexed", "workers must be an Indexed Job")
expect = int(config.get("data", {}).get("GRADSIEVE_EXPECT_WORKERS", -1))
check(job_spec.get("completions") == job_spec.get("parallelism") == expect,
      f"Job completions/parallelism must equal GRADSIEVE_EXPECT_WORKERS ({expect})")
address = f"{statefulset['metadata']['name']}-0.{service['metadata']['name']}:7070"
args = worker.get("args", [])
check(args[:1] == ["worker"] and address in args, f"workers must connect to {address}")
check("--token-file" in args, "workers need --token-file")
check("resources" in worker, "workers need resources")

for pod_spec, who in ((pod, "coordinator"), (worker_pod, "workers")):
    volumes = {v["name"]: v for v in pod_spec.get("volumes", [])}
    data = volumes.get("data", {}).get("persistentVolumeClaim", {})
    check(data.get("readOnly") is True, f"{who}: DATA must be a read-only PVC")
    check(volumes.get("token", {}).get("secret", {}).get("secretName") == "gradsieve-token",
          f"{who}: the token must come from the Secret gradsieve-token")
    mounts = {m["name"]: m for m in pod_spec["containers"][0].get("volumeMounts", [])}
    check(mounts.get("data", {}).get("readOnly") is True, f"{who}: mount DATA read-only")
    check(mounts.get("token", {}).get("mountPath") == "/var/run/secrets/gradsieve", f"{who}: token mount path")

if problems:
    sys.exit("\n".join(problems))
PY
  ); then
    pass "deploy/kubernetes manifests agree with each other"
  else
    fail "deploy/kubernetes: $message"
  fi

  if command -v kubernetes-validate > /dev/null 2>&1; then
    mapfile -t manifests < <(find deploy/kubernetes -type f -name '*.yaml' ! -name kustomization.yaml | sort)
    if message=$(kubernetes-validate --strict "${manifests[@]}" 2>&1); then
      pass "kubernetes-validate --strict (API schemas)"
    else
      fail "kubernetes-validate: $message"
    fi
  else
    skip "kubernetes-validate not installed (pip install kubernetes-validate); schema check skipped"
  fi
fi

# ---------------------------------------------------------------------------------------------
section "shellcheck"
if ! command -v shellcheck > /dev/null 2>&1; then
  apt_install shellcheck || true
fi
if ! command -v shellcheck > /dev/null 2>&1; then
  fail "shellcheck is not installed and could not be installed"
else
  shell_files=()
  while IFS= read -r file; do
    case "$file" in
      *.sh | *.bash | *.sbatch) shell_files+=("$file") ;;
      *) if head -n 1 "$file" | grep -Eq '^#!.*(/|env )(ba|da|k)?sh\b'; then shell_files+=("$file"); fi ;;
    esac
  done < <(find deploy scripts -type f | sort)
  [ -f python/run-tests.sh ] && shell_files+=(python/run-tests.sh)
  for file in "${shell_files[@]}"; do
    if message=$(shellcheck "$file" 2>&1); then
      pass "shellcheck $file"
    else
      fail "shellcheck $file"
      printf '%s\n' "$message"
    fi
  done

  # The shell scripts embedded in the manifests (sh -c ...), run by /bin/sh (dash) in the image.
  if [ -n "$python" ]; then
    "$python" - deploy/kubernetes "$scratch/snippets" <<'PY'
import os, sys, yaml
folder, target = sys.argv[1], sys.argv[2]
os.makedirs(target, exist_ok=True)
for name in sorted(os.listdir(folder)):
    if not name.endswith(".yaml"):
        continue
    try:
        with open(os.path.join(folder, name), encoding="utf-8") as handle:
            documents = list(yaml.safe_load_all(handle))
    except yaml.YAMLError:
        continue  # reported in the YAML section
    for document in documents:
        if not isinstance(document, dict):
            continue
        spec = (document.get("spec") or {}).get("template", {}).get("spec", {})
        for container in spec.get("initContainers", []) + spec.get("containers", []):
            if container.get("command", [])[:2] == ["/bin/sh", "-c"] and container.get("args"):
                path = os.path.join(target, f"{name}.{container['name']}.sh")
                with open(path, "w", encoding="utf-8") as out:
                    out.write("#!/bin/sh\n" + container["args"][0])
PY
    for file in "$scratch"/snippets/*.sh; do
      [ -e "$file" ] || continue
      label="deploy/kubernetes/$(basename "$file" .sh) (embedded sh -c script)"
      if message=$(shellcheck --shell=sh "$file" 2>&1); then
        pass "shellcheck $label"
      else
        fail "shellcheck $label"
        printf '%s\n' "$message"
      fi
    done
  fi
fi

# ---------------------------------------------------------------------------------------------
section "systemd"
if ! command -v systemd-analyze > /dev/null 2>&1; then
  skip "systemd-analyze not found; systemd units not verified"
else
  # verify insists that ExecStart's binary exists and is executable. The units name
  # /usr/local/bin/gradsieve, which need not exist here, so each unit is verified as a copy
  # whose ExecStart points at a stub executable in a scratch directory; nothing else changes.
  # verify reports unknown keys and bad values only as warnings with exit status 0, so any
  # output at all counts as a failure.
  units="$scratch/units"
  mkdir -p "$units"
  printf '#!/bin/sh\nexit 0\n' > "$units/gradsieve-stub"
  chmod 0755 "$units/gradsieve-stub"
  mapfile -t unit_files < <(find deploy/systemd -type f \( -name '*.service' -o -name '*.socket' -o -name '*.target' -o -name '*.timer' \) | sort)
  if [ "${#unit_files[@]}" -eq 0 ]; then
    fail "no systemd units under deploy/systemd"
  fi
  # Each unit gets a directory of its own: verify also loads the units a unit refers to (the
  # workers' After=gradsieve-coordinator.service) from the unit's directory, and each unit's
  # problems should be reported once, under its own name.
  for file in "${unit_files[@]}"; do
    name=$(basename "$file")
    targets=()
    instances=("$name")
    case "$name" in
      *@.*) instances+=("${name/@./@0.}") ;; # a template, and an instance of it (%i expanded)
    esac
    for instance in "${instances[@]}"; do
      mkdir -p "$units/verify-$instance"
      sed "s#/usr/local/bin/gradsieve#$units/gradsieve-stub#g" "$file" > "$units/verify-$instance/$instance"
      targets+=("$units/verify-$instance/$instance")
    done
    for target in "${targets[@]}"; do
      output=$(cd "$(dirname "$target")" && SYSTEMD_LOG_COLOR=0 systemd-analyze verify "./$(basename "$target")" 2>&1)
      status=$?
      if [ "$status" -eq 0 ] && [ -z "$output" ]; then
        pass "systemd-analyze verify $(basename "$target")"
      else
        fail "systemd-analyze verify $(basename "$target") (status $status)"
        printf '%s\n' "$output"
      fi
    done
  done
  # Type=notify and a credential for the coordinator, the stop timeout of the docs.
  coordinator_unit=deploy/systemd/gradsieve-coordinator.service
  for line in 'Type=notify' 'NotifyAccess=main' 'KillSignal=SIGTERM' 'TimeoutStopSec=60' 'Restart=on-failure' 'User=gradsieve'; do
    if grep -qx "$line" "$coordinator_unit"; then pass "$coordinator_unit has $line"; else fail "$coordinator_unit lacks $line"; fi
  done
  if grep -q -- '--resume' "$coordinator_unit"; then pass "$coordinator_unit starts with --resume"; else fail "$coordinator_unit lacks --resume"; fi

  sysusers=deploy/systemd/gradsieve.sysusers.conf
  if [ -f "$sysusers" ]; then
    if command -v systemd-sysusers > /dev/null 2>&1; then
      mkdir -p "$scratch/sysroot/etc"
      if output=$(systemd-sysusers --dry-run --root="$scratch/sysroot" "$root/$sysusers" 2>&1); then
        pass "systemd-sysusers --dry-run $sysusers"
      else
        fail "systemd-sysusers --dry-run $sysusers"
        printf '%s\n' "$output"
      fi
    else
      skip "systemd-sysusers not found; $sysusers not checked"
    fi
  fi
fi

# ---------------------------------------------------------------------------------------------
section "Containerfile"
containerfile=deploy/Containerfile
if [ ! -f "$containerfile" ]; then
  fail "$containerfile is missing"
else
  # Each pattern is an extended regex that must match some line (comments excluded).
  code=$(grep -v '^[[:space:]]*#' "$containerfile")
  check_pattern() { # text regex description
    if grep -Eq -- "$2" <<< "$1"; then pass "$containerfile: $3"; else fail "$containerfile: $3 (no match for /$2/)"; fi
  }
  build_part=$(sed -n '/^FROM .* AS build$/,/^FROM /p' <<< "$code")
  runtime_part=$(sed -n '/^FROM .* AS runtime$/,$p' <<< "$code")
  check_pattern "$code" '^FROM[[:space:]]+\S+[[:space:]]+AS[[:space:]]+build$' 'a stage named build'
  check_pattern "$code" '^FROM[[:space:]]+\S+[[:space:]]+AS[[:space:]]+runtime$' 'a stage named runtime'
  check_pattern "$code" '^ARG[[:space:]]+SWIFT_IMAGE=swift:6\.[0-9]+' 'the build stage uses an official swift:6.x image'
  check_pattern "$code" '^ARG[[:space:]]+RUNTIME_IMAGE=debian:bookworm-slim' 'the runtime stage is debian:bookworm-slim'
  for package in libuv1-dev libopenblas-dev pkg-config; do
    check_pattern "$build_part" "[[:space:]]$package([[:space:]]|\$)" "build stage installs $package"
  done
  check_pattern "$build_part" 'swift build -c release' 'build stage makes a release build'
  for package in libuv1 libopenblas0 'libstdc\+\+6'; do
    check_pattern "$runtime_part" "[[:space:]]$package([[:space:]]|\$)" "runtime stage installs $package"
  done
  check_pattern "$runtime_part" '^COPY --from=build /usr/lib/swift/linux/\*\.so ' 'runtime stage copies the Swift runtime libraries'
  check_pattern "$runtime_part" '^COPY --from=build .*/gradsieve /usr/local/bin/gradsieve$' 'runtime stage copies the binary'
  check_pattern "$runtime_part" '^USER[[:space:]]+[1-9][0-9]*(:[1-9][0-9]*)?$' 'runtime stage runs as a non-root user'
  check_pattern "$runtime_part" '^ENTRYPOINT \["/usr/local/bin/gradsieve"\]$' 'ENTRYPOINT gradsieve'
  if [ -n "$runtime_part" ] && ! grep -q '^FROM' <<< "$(tail -n +2 <<< "$runtime_part")"; then
    pass "$containerfile: runtime is the final stage"
  else
    fail "$containerfile: runtime must be the final stage"
  fi
  if command -v hadolint > /dev/null 2>&1; then
    if output=$(hadolint "$containerfile" 2>&1); then pass "hadolint $containerfile"; else fail "hadolint $containerfile"; printf '%s\n' "$output"; fi
  fi
fi

printf '\n'
if [ "$failures" -ne 0 ]; then
  printf 'check-deploy: %d check(s) failed\n' "$failures"
  exit 1
fi
printf 'check-deploy: all checks passed\n'
