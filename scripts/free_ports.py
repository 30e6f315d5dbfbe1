"""The first of COUNT consecutive TCP ports free on the loopback now, picked below the kernel's ephemeral range: a
port inside that range can be taken at any moment as the local end of some outgoing connection, between this check
and a server's start (a CI run failed so on SeaweedFS's port). One copy for every caller: `scripts/test` runs it
(`python3 scripts/free_ports.py COUNT` prints the port), e2e/conftest.py and bench/bench.py import it."""

import random
import socket
import sys


def free_consecutive_ports(count: int) -> int:
    low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
    for _ in range(1000):
        first = random.randint(20000, max(20001, low - count - 1))
        sockets = []
        try:
            for port in range(first, first + count):
                sockets.append(socket.socket())
                sockets[-1].bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise RuntimeError(f"no {count} consecutive free ports")


if __name__ == "__main__":
    print(free_consecutive_ports(int(sys.argv[1])))
