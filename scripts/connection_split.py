"""How `luna serve --workers 2` shares a burst of connections between its workers: opens 32
connections at once (a load generator's or a proxy's keep-alive pool), sends a request on
each, and counts which worker process holds each connection (Linux: the server's sockets
in /proc/net/tcp matched to the workers' file descriptors).

    uv run python scripts/connection_split.py                      # this checkout
    uv run python scripts/connection_split.py --checkout before=/tmp/luna-before \\
        --checkout after=. --rounds 3                               # two versions, alternately
    uv run python scripts/connection_split.py \\
        --command "uvicorn=uvicorn --factory luna.app:create_app --workers 2 --port {port}"

Each checkout's `src` goes first on PYTHONPATH of the server it starts (the environment's
packages are this one's); a command is any server of the app on port `{port}`. Per round
and server, one start (embedded SQLite, no demo data), `--bursts` bursts on it; prints each
burst's split, largest share first, and a summary per server.
"""

import argparse
import os
import shlex
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

from luna.bench.server import add_checkout_option, free_port, socket_holders, stop_process_group

REQUEST = b"GET /health/live HTTP/1.1\r\nHost: luna\r\n\r\n"


def descendants(parent: int) -> list[int]:
    """Every process under `parent` (children, theirs, ...)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_bytes()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [parent]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return sorted(found)


def cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_bytes()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])
    return total


def server_sockets(port: int, client_ports: set[int]) -> set[str]:
    """The inodes of the server's ends of the connections from `client_ports`."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        remote_port = int(fields[2].split(":")[1], 16)
        if local_port == port and remote_port in client_ports:
            inodes.add(fields[9])
    return inodes


def burst(port: int, connections: int, pids: list[int]) -> Counter[int]:
    """Opens `connections` at once, then a request on each; who holds them."""
    opened = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(connections)]
    try:
        for connection in opened:
            connection.sendall(REQUEST)
        for connection in opened:
            answer = connection.recv(4096)
            if not answer.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(f"unexpected answer: {answer[:100]!r}")
        inodes = server_sockets(port, {c.getsockname()[1] for c in opened})
        return socket_holders(inodes, pids)
    finally:
        for connection in opened:
            connection.close()


def start(
    checkout: Path | None, command: str | None, workers: int, scratch: Path
) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env.update(
        DATABASE_URL=f"sqlite:///{scratch / 'luna.db'}",
        LOG_LEVEL="WARNING",
        TMPDIR=str(scratch),
    )
    if checkout is not None:
        env["PYTHONPATH"] = str((checkout / "src").resolve())
    if command is None:
        argv = [sys.executable, "-m", "luna.cli", "serve", "--port", str(port)]
        argv += ["--workers", str(workers), "--no-demo"]
    else:
        subprocess.run(  # what `luna serve` does first
            [sys.executable, "-m", "luna.cli", "migrate"], env=env, check=True, capture_output=True
        )
        argv = shlex.split(command.format(port=port))
    with open(scratch / "serve.log", "w") as log:  # the child keeps its own copy
        process = subprocess.Popen(
            argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None or time.monotonic() > deadline:
            stop_process_group(process, timeout=30)
            raise RuntimeError((scratch / "serve.log").read_text()[-2000:])
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=2):
                break
        except OSError:
            time.sleep(0.2)
    # The first worker may answer while another is still starting: wait until none uses CPU.
    last = cpu_ticks(descendants(process.pid))
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = cpu_ticks(descendants(process.pid))
        if now - last <= 2:
            break
        last = now
    return process, port


def split(held: Counter[int], workers: int) -> list[int]:
    counts = sorted(held.values(), reverse=True)
    return counts + [0] * (workers - len(counts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_checkout_option(parser)
    parser.add_argument(
        "--command",
        action="append",
        default=[],
        metavar="NAME=COMMAND",
        help="a server command line with {port} (repeat to compare)",
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2, help="servers started per checkout")
    parser.add_argument("--bursts", type=int, default=5, help="bursts per server")
    args = parser.parse_args()
    servers: list[tuple[str, Path | None, str | None]] = [
        (name, Path(path), None) for name, path in (item.split("=", 1) for item in args.checkout)
    ] + [(name, None, command) for name, command in (item.split("=", 1) for item in args.command)]
    servers = servers or [("installed", None, None)]
    splits: dict[str, list[list[int]]] = {name: [] for name, _, _ in servers}
    for round_ in range(1, args.rounds + 1):
        for name, checkout, command in servers:
            with tempfile.TemporaryDirectory(prefix="luna-split-") as folder:
                process, port = start(checkout, command, args.workers, Path(folder))
                try:
                    pids = [*descendants(process.pid), process.pid]
                    for number in range(1, args.bursts + 1):
                        held = burst(port, args.connections, pids)
                        if sum(held.values()) != args.connections:
                            raise RuntimeError(f"found {sum(held.values())} connections: {held}")
                        shares = split(held, args.workers)
                        splits[name].append(shares)
                        print(
                            f"{name:10} round {round_} burst {number}: "
                            + "/".join(map(str, shares)),
                            flush=True,
                        )
                        time.sleep(0.2)  # the closed connections' ends are gone
                finally:
                    stop_process_group(process, timeout=30)
                leftovers = sorted(p.name for p in Path(folder).iterdir())
                if [p for p in leftovers if not p.startswith(("luna.db", "serve.log"))]:
                    print(f"{name:10} left in TMPDIR after it stopped: {leftovers}")
    for name, found in splits.items():
        largest = sorted(shares[0] for shares in found)
        even = sum(abs(shares[0] - args.connections / args.workers) <= 2 for shares in found)
        print(
            f"{name:10} {len(found)} bursts of {args.connections}: largest share per burst "
            f"median {largest[len(largest) // 2]}, min {largest[0]}, max {largest[-1]}; "
            f"within 2 of even: {even}/{len(found)}"
        )


if __name__ == "__main__":
    main()
