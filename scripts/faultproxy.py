#!/usr/bin/env python3
"""A fault-injecting TCP proxy for gradsieve's fault tests: it forwards LISTEN -> TARGET and
delays every chunk and cuts connections after a number of bytes, the way a flaky network does.

    faultproxy.py --listen 127.0.0.1:7071 --target 127.0.0.1:7070 --delay-ms 5 --cut-after 200000 --cuts 3

Each of the first --cuts connections is cut (both directions closed abruptly) once it has carried
--cut-after bytes in either direction; later connections pass untouched, so a run can finish.
Prints "listening" when ready.
"""
import argparse
import asyncio
import sys


def endpoint(text):
    host, port = text.rsplit(":", 1)
    return host, int(port)


class Proxy:
    def __init__(self, target, delay, cut_after, cuts):
        self.target, self.delay, self.cut_after, self.cuts_left = target, delay, cut_after, cuts

    async def pump(self, reader, writer, state, doomed):
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                if self.delay:
                    await asyncio.sleep(self.delay)
                state["bytes"] += len(data)
                if doomed and state["bytes"] > self.cut_after:
                    state["cut"] = True
                    break
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            if state.get("cut"):
                writer.transport.abort()
            else:
                writer.close()

    async def handle(self, client_reader, client_writer):
        doomed = self.cuts_left > 0
        if doomed:
            self.cuts_left -= 1
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.transport.abort()
            return
        state = {"bytes": 0}
        tasks = [asyncio.create_task(self.pump(client_reader, server_writer, state, doomed)),
                 asyncio.create_task(self.pump(server_reader, client_writer, state, doomed))]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        if state.get("cut"):
            print(f"cut a connection after {state['bytes']} bytes", flush=True)
            client_writer.transport.abort()
            server_writer.transport.abort()
        await asyncio.gather(*tasks, return_exceptions=True)


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", type=endpoint, required=True)
    parser.add_argument("--target", type=endpoint, required=True)
    parser.add_argument("--delay-ms", type=float, default=0)
    parser.add_argument("--cut-after", type=int, default=1 << 62)
    parser.add_argument("--cuts", type=int, default=0)
    args = parser.parse_args()
    proxy = Proxy(args.target, args.delay_ms / 1000, args.cut_after, args.cuts)
    server = await asyncio.start_server(proxy.handle, *args.listen)
    print("listening", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
