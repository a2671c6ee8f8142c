#!/usr/bin/env python3
"""Runs a load generator and prints the CPU time it took, and what the server and
PostgreSQL's processes took meanwhile, from /proc (user + system, 10 ms ticks).

    cpu_seconds.py OUTPUT [--server PID] -- COMMAND...

Writes COMMAND's standard output and error to OUTPUT and prints one line:
``generator=S server=S postgres=S`` (seconds). PostgreSQL's share is the sum over every
process named ``postgres`` (its backends and background workers), the ones that ended
during the run included as far as their parent counted them.
"""

import os
import subprocess
import sys

TICK = os.sysconf("SC_CLK_TCK")


def ticks(pid: int, children: bool = False) -> int:
    """utime + stime of `pid` (and of its waited-for children), or 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            # The command name may hold spaces: the fields start after its ')'.
            fields = stat.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0
    own = int(fields[11]) + int(fields[12])
    return own + (int(fields[13]) + int(fields[14]) if children else 0)


def postgres_ticks() -> int:
    """Every `postgres` process's time, with the backends its postmaster has reaped."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm") as comm:
                if comm.read().strip() != "postgres":
                    continue
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += ticks(int(entry), children=True)
    return total


def main() -> None:
    args = sys.argv[1:]
    output, args = args[0], args[1:]
    server = None
    if args[:1] == ["--server"]:
        server, args = int(args[1]), args[2:]
    if args[:1] != ["--"]:
        sys.exit("usage: cpu_seconds.py OUTPUT [--server PID] -- COMMAND...")
    command = args[1:]

    server_before = ticks(server) if server else 0
    postgres_before = postgres_ticks()
    with open(output, "w") as out:
        generator = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        # Read the generator's time just before it is reaped, while /proc still has it.
        os.waitid(os.P_PID, generator.pid, os.WEXITED | os.WNOWAIT)
        generator_ticks = ticks(generator.pid, children=True)
        generator.wait()
    server_ticks = (ticks(server) - server_before) if server else 0
    postgres = postgres_ticks() - postgres_before
    print(
        f"generator={generator_ticks / TICK:.2f} server={server_ticks / TICK:.2f} "
        f"postgres={postgres / TICK:.2f}"
    )
    if generator.returncode != 0:
        sys.exit(f"{command[0]} failed; see {output}")


if __name__ == "__main__":
    main()
