#!/usr/bin/env python3
"""Where the time goes in a JDK Flight Recorder file, with the standard library only.

    python3 benchmarks/jfr-top.py server.jfr [top-N]
    python3 benchmarks/jfr-top.py --alloc server.jfr [top-N]    # allocation by class and site

Counts jdk.ExecutionSample (threads running Java) and jdk.NativeMethodSample (threads inside a
native method, e.g. a socket write) by thread, by top frame, and by the first frame of a few
areas anywhere on the stack (inclusive), so that "how much is H2, how much is the socket" can be
read off directly.
"""
import json
import subprocess
import sys
from collections import Counter

AREAS = [
    ("socket write syscall", ("sun.nio.ch.SocketDispatcher.write", "sun.nio.ch.FileDispatcherImpl.write",
                              "sun.nio.ch.IOUtil.write", "sun.nio.ch.SocketChannelImpl.write")),
    ("netty flush (incl. syscall)", ("io.netty.channel.AbstractChannel$AbstractUnsafe.flush0",)),
    ("write-queue-full checks", ("io.vertx.core.http.impl.WebSocketImplBase.writeQueueFull",
                                 "io.vertx.ext.web.impl.ServerWebSocketWrapper.writeQueueFull",
                                 "io.vertx.core.net.impl.VertxConnection.writeQueueFull")),
    ("epoll socket write syscall", ("io.netty.channel.unix.FileDescriptor.writev", "io.netty.channel.unix.FileDescriptor.write",
                                    "io.netty.channel.unix.FileDescriptor.writeAddress", "io.netty.channel.unix.FileDescriptor.writevAddresses")),
    ("epoll flush (incl. syscall)", ("io.netty.channel.epoll.AbstractEpollStreamChannel.doWrite",)),
    ("socket read", ("sun.nio.ch.SocketDispatcher.read", "sun.nio.ch.IOUtil.read", "io.netty.channel.nio.AbstractNioByteChannel$NioByteUnsafe.read")),
    ("epoll wait (idle)", ("sun.nio.ch.EPoll.wait", "io.netty.channel.epoll.Native.epollWait")),
    ("H2 database", ("org.h2.",)),
    ("JDBC client / pool", ("io.vertx.jdbcclient.", "io.vertx.sqlclient.")),
    ("patchwire fan-out", ("dev.patchwire.stream.Fanout.dispatch",)),
    ("patchwire subscription", ("dev.patchwire.stream.Subscription.",)),
    ("patchwire store (writer)", ("dev.patchwire.store.",)),
    ("JSON Schema validation", ("io.vertx.json.schema.",)),
    ("Jackson", ("com.fasterxml.jackson.",)),
    ("zjsonpatch", ("com.flipkart.zjsonpatch.",)),
    ("WebSocket frame encode", ("io.netty.handler.codec.http.websocketx.WebSocket08FrameEncoder",)),
    ("micrometer", ("io.micrometer.",)),
    ("event bus", ("io.vertx.core.eventbus.",)),
]


def frames(ev):
    st = ev.get("values", {}).get("stackTrace") or {}
    out = []
    for f in st.get("frames", []):
        m = f.get("method", {})
        t = m.get("type", {}).get("name", "?")
        out.append(t.replace("/", ".") + "." + m.get("name", "?"))
    return out


def alloc(path, top_n):
    """jdk.ObjectAllocationSample weights by allocated class and by the first non-JDK frame."""
    raw = subprocess.run(["jfr", "print", "--json", "--stack-depth", "64", "--events",
                          "jdk.ObjectAllocationSample", path], capture_output=True, text=True, check=True).stdout
    events = json.loads(raw)["recording"]["events"]
    by_class, by_site = Counter(), Counter()
    total = 0
    for ev in events:
        v = ev.get("values", {})
        w = v.get("weight", 0)
        total += w
        by_class[(v.get("objectClass") or {}).get("name", "?")] += w
        fs = frames(ev)
        site = next((f for f in fs if not f.startswith(("java.", "jdk.", "sun."))), fs[0] if fs else "?")
        by_site[site] += w
    print(f"{total / 1e6:,.0f} MB sampled allocation in {path}\n\nby class:")
    for k, c in by_class.most_common(top_n):
        print(f"  {100 * c / total:5.1f}%  {k}")
    print("\nby first non-JDK frame:")
    for k, c in by_site.most_common(top_n):
        print(f"  {100 * c / total:5.1f}%  {k}")


def main():
    if sys.argv[1] == "--alloc":
        alloc(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 25)
        return
    path = sys.argv[1]
    top_n = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    raw = subprocess.run(["jfr", "print", "--json", "--stack-depth", "64", "--events",
                          "jdk.ExecutionSample,jdk.NativeMethodSample", path],
                         capture_output=True, text=True, check=True).stdout
    events = json.loads(raw)["recording"]["events"]
    tops, threads, areas, incl = Counter(), Counter(), Counter(), Counter()
    running = 0
    for ev in events:
        fs = frames(ev)
        kind = ev["type"]
        thread = (ev.get("values", {}).get("sampledThread") or {}).get("javaName", "?")
        top = fs[0] if fs else "?"
        if kind == "jdk.NativeMethodSample" and ("epoll" in top.lower() or "EPoll" in top or "park" in top.lower()
                                                 or "accept" in top.lower() or "poll" in top.lower()):
            continue  # a thread waiting, not working
        running += 1
        threads[thread.rstrip("0123456789-")] += 1
        tops[top] += 1
        for fr in set(fs):
            incl[fr] += 1
        seen = set()
        for name, prefixes in AREAS:
            if any(fr.startswith(p) for fr in fs for p in prefixes) and name not in seen:
                areas[name] += 1
                seen.add(name)
    print(f"{running} samples of working threads in {path}\n")
    print("by thread:")
    for t, c in threads.most_common(10):
        print(f"  {100 * c / running:5.1f}%  {t}")
    print("\nby area (inclusive: anywhere on the stack; areas overlap):")
    for a, c in areas.most_common():
        print(f"  {100 * c / running:5.1f}%  {a}")
    print(f"\ntop {top_n} methods (inclusive):")
    for t, c in incl.most_common(top_n):
        print(f"  {100 * c / running:5.1f}%  {t}")
    print(f"\ntop {top_n} frames (self):")
    for t, c in tops.most_common(top_n):
        print(f"  {100 * c / running:5.1f}%  {t}")


if __name__ == "__main__":
    main()
