"""Starts a real Lumen (simulator replicas, an agent, lumenctl) for the official OpenAI SDK to talk to."""
import json
import os
import re
import subprocess
import tempfile
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def bin_path():
    out = subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def start(args, pattern, env):
    """Starts a process and waits for the line that names its port(s)."""
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    deadline = time.time() + 30
    while time.time() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        match = re.search(pattern, line)
        if match:
            return process, match
    process.kill()
    raise RuntimeError(f"{args[0]} did not start")


class Lumen:
    def __init__(self):
        self.bin = bin_path()
        self.dir = tempfile.mkdtemp(prefix="lumen-conformance-")
        self.env = dict(os.environ, LUMEN_HOME=os.path.join(self.dir, "home"), LUMEN_CLUSTER_TOKEN="conformance-cluster-token-0123456789abcdef", NO_COLOR="1")
        self.processes = []
        sim, match = start([f"{self.bin}/lumen-engine", "serve", "--simulate", "--port", "0", "--ttft", "2ms", "--itl", "0ms"],
                           r"http://127\.0\.0\.1:(\d+)/v1", self.env)
        self.processes.append(sim)
        self.sim_port = int(match.group(1))
        agent, match = start([f"{self.bin}/lumen-agent", "run", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
                              "--home", os.path.join(self.dir, "agent"), "--max-request-bytes", "1048576"],
                             r"http://127\.0\.0\.1:(\d+)/v1 \(admin http://127\.0\.0\.1:(\d+)\)", self.env)
        self.processes.append(agent)
        self.port, self.admin_port = int(match.group(1)), int(match.group(2))
        manifests = os.path.join(self.dir, "lumen.yaml")
        with open(manifests, "w") as f:
            f.write(f"""
apiVersion: lumen.ai/v1
kind: Node
metadata: {{name: local}}
spec: {{address: "http://127.0.0.1:{self.port}", adminAddress: "http://127.0.0.1:{self.admin_port}"}}
---
apiVersion: lumen.ai/v1
kind: Model
metadata: {{name: sim-small}}
spec:
  deployment: {{endpoints: ["http://127.0.0.1:{self.sim_port}/v1"]}}
  pricing: {{inputPerMTok: 0.1, outputPerMTok: 0.2}}
  quality: 0.5
  contextWindow: 8192
  capabilities: [tools, json, embeddings]
---
apiVersion: lumen.ai/v1
kind: Model
metadata: {{name: sim-down}}
spec:
  deployment: {{endpoints: ["http://127.0.0.1:9/v1"]}}
  pricing: {{inputPerMTok: 0.1, outputPerMTok: 0.2}}
  quality: 0.5
  contextWindow: 8192
---
apiVersion: lumen.ai/v1
kind: Route
metadata: {{name: auto}}
spec: {{candidates: [sim-small], strategy: pinned}}
""")
        self.ctl("apply", "-f", manifests)
        self.key = self.create_key("conformance")

    def ctl(self, *args):
        return subprocess.run([f"{self.bin}/lumenctl", *args], env=self.env, capture_output=True, text=True, check=True).stdout

    def create_key(self, name, *options):
        return json.loads(self.ctl("keys", "create", name, "-o", "json", *options))["key"]

    def stop(self):
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(scope="session")
def lumen():
    instance = Lumen()
    yield instance
    instance.stop()
