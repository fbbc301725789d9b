#!/usr/bin/env python3
"""Writes a router config (Crossbar.io's config.json schema) for the benchmark runs.

    bench/make-config.py KIND --port PORT [--out FILE]

KIND:
  static-roles      realm1, role `anonymous` with a handful of permissions that allow exactly
                    what wamp-bench's Basic Profile rows do (REGISTER/CALL `bench.echo`,
                    SUBSCRIBE/PUBLISH `bench.topic`) and nothing else.
  permissions-N     the same realm and role with N permissions (N >= 10, e.g. permissions-1000):
                    exact, prefix and wildcard ones on URIs the bench never uses, and the bench
                    URIs allowed by one short prefix (`bench.`) listed last, among many longer
                    prefixes and wildcards that share its start but do not match, behind a
                    shorter prefix (`bench`) that matches and denies. A matcher that takes the
                    first or the shortest match denies the bench (the run reports errors); one
                    that stops at the first shared characters cannot short-cut.

The transport listens on 127.0.0.1:PORT, WebSocket, anonymous (no `auth`: role `anonymous`).
No compression is configured (as in Crossbar, absent = off); the bench scripts pass
`--no-compression` on the command line as well. Output is deterministic for a given KIND.
"""
import argparse
import json
import sys

ALL = {"call": True, "register": True, "publish": True, "subscribe": True}
NONE = {"call": False, "register": False, "publish": False, "subscribe": False}


def permission(uri, match, allow):
    return {
        "uri": uri,
        "match": match,
        "allow": dict(NONE, **allow),
        "disclose": {"caller": False, "publisher": False},
        "cache": True,
    }


def static_roles():
    return [
        permission("bench.echo", "exact", {"call": True, "register": True}),
        permission("bench.topic", "exact", {"publish": True, "subscribe": True}),
        # Unrelated application URIs, and the meta API explicitly closed (it is closed anyway
        # when nothing matches; listed so the role is not just the two bench URIs).
        permission("com.example.", "prefix", {"call": True, "subscribe": True}),
        permission("wamp.", "prefix", {}),
    ]


def many_permissions(count):
    """`count` permissions; the one that allows the bench is last, `bench` (deny) next to last."""
    if count < 10:
        raise SystemExit("permissions-N needs N >= 10")
    filler = []
    i = 0
    # Cycle through the kinds so each is about a fifth of the list; every URI is distinct.
    while len(filler) < count - 2:
        kind = i % 5
        n = i // 5
        if kind == 0:    # longer prefixes sharing `bench.` that do not match bench.echo / bench.topic
            uri = f"bench.echo.{n}." if n % 2 == 0 else f"bench.topic{n}"
            filler.append(permission(uri, "prefix", ALL))
        elif kind == 1:  # wildcards of the bench URIs' length that do not match them
            uri = f"bench{n}." if n % 2 == 0 else f".echo{n}"
            filler.append(permission(uri, "wildcard", ALL))
        elif kind == 2:  # exact URIs next to the bench ones
            uri = f"bench.echo{n}" if n % 2 == 0 else f"bench.topic.{n}"
            filler.append(permission(uri, "exact", ALL))
        elif kind == 3:  # unrelated prefixes
            filler.append(permission(f"com.example.app{n}.", "prefix", {"call": True, "publish": True}))
        else:            # unrelated wildcards with more components
            filler.append(permission(f"com..service{n}.", "wildcard", {"subscribe": True}))
        i += 1
    return filler + [permission("bench", "prefix", {}), permission("bench.", "prefix", ALL)]


def config(permissions, port):
    return {
        "version": 2,
        "controller": {},
        "workers": [
            {
                "type": "router",
                "realms": [
                    {"name": "realm1", "roles": [{"name": "anonymous", "permissions": permissions}]}
                ],
                "transports": [
                    {
                        "type": "websocket",
                        "endpoint": {"type": "tcp", "port": port, "interface": "127.0.0.1"},
                    }
                ],
            }
        ],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", help="static-roles or permissions-N")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", help="file to write (default: standard output)")
    args = parser.parse_args()
    if args.kind == "static-roles":
        permissions = static_roles()
    elif args.kind.startswith("permissions-") and args.kind[len("permissions-"):].isdigit():
        permissions = many_permissions(int(args.kind[len("permissions-"):]))
    else:
        raise SystemExit(f"unknown config kind {args.kind!r} (static-roles, permissions-N)")
    text = json.dumps(config(permissions, args.port), indent=2) + "\n"
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
