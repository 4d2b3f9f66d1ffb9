"""Run wrk and read its report: requests/s, latency percentiles, errors.

wrk (the Debian package) prints a fixed-format report; `parse_report` turns it
into numbers, and `summarize` takes the median of several runs. Latencies are
in milliseconds throughout.
"""

# ruff: noqa: S603 - runs wrk with arguments built here

from __future__ import annotations

import re
import statistics
import subprocess
from pathlib import Path

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_SIZE = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}


def _ms(value: str, unit: str) -> float:
    return float(value) * _UNITS_MS[unit]


def parse_report(text: str) -> dict:
    """Return the figures of one wrk report (with --latency) as a dict.

    Keys: requests, duration_s, requests_per_s, bytes_read, latency_avg_ms,
    latency_max_ms, latency_ms (percentile -> ms), non_2xx_3xx, socket_errors
    (connect/read/write/timeout), and `script` for a line "BENCH k=v ..."
    printed by a Lua script's done().
    """
    figures: dict = {
        "non_2xx_3xx": 0,
        "socket_errors": {"connect": 0, "read": 0, "write": 0, "timeout": 0},
        "latency_ms": {},
        "script": {},
    }
    match = re.search(
        r"^\s*Latency\s+([\d.]+)(us|ms|s|m|h)\s+[\d.]+\w+\s+([\d.]+)(us|ms|s|m|h)",
        text,
        re.M,
    )
    if match:
        figures["latency_avg_ms"] = _ms(match[1], match[2])
        figures["latency_max_ms"] = _ms(match[3], match[4])
    for pct, value, unit in re.findall(
        r"^\s*(\d+(?:\.\d+)?)%\s+([\d.]+)(us|ms|s|m|h)\s*$", text, re.M
    ):
        figures["latency_ms"][pct] = _ms(value, unit)
    match = re.search(
        r"(\d+) requests in ([\d.]+)(us|ms|s|m|h), ([\d.]+)(B|KB|MB|GB|TB) read", text
    )
    if not match:
        raise ValueError(f"not a wrk report:\n{text[:2000]}")
    figures["requests"] = int(match[1])
    figures["duration_s"] = _ms(match[2], match[3]) / 1000
    figures["bytes_read"] = int(float(match[4]) * _SIZE[match[5]])
    match = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    if match:
        figures["socket_errors"] = dict(
            zip(
                ("connect", "read", "write", "timeout"),
                map(int, match.groups()),
                strict=True,
            )
        )
    match = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if match:
        figures["non_2xx_3xx"] = int(match[1])
    match = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if not match:
        raise ValueError(f"wrk report without Requests/sec:\n{text[:2000]}")
    figures["requests_per_s"] = float(match[1])
    for line in re.findall(r"^BENCH (.*)$", text, re.M):
        for key, value in re.findall(r"(\w+)=(-?[\d.]+)", line):
            figures["script"][key] = float(value) if "." in value else int(value)
    return figures


def summarize(runs: list[dict], *, rate_key: str = "requests_per_s") -> dict:
    """Return the medians of several runs' rate and p99 latency, with the runs."""
    rates = [run[rate_key] for run in runs]
    p99s = [run["latency_ms"].get("99") for run in runs]
    p99s = [value for value in p99s if value is not None]
    return {
        "rate_per_s": statistics.median(rates),
        "p99_ms": statistics.median(p99s) if p99s else None,
        "rates": rates,
        "runs": runs,
    }


def run_wrk(
    url: str,
    *,
    seconds: int,
    connections: int,
    threads: int = 2,
    headers: list[str] | None = None,
    script: Path | None = None,
    timeout_s: int = 30,
) -> dict:
    """Run wrk once against `url` and return `parse_report` of its output."""
    command = [
        "wrk",
        f"-t{min(threads, connections)}",
        f"-c{connections}",
        f"-d{seconds}s",
        f"--timeout={timeout_s}s",
        "--latency",
    ]
    for header in headers or []:
        command += ["-H", header]
    if script is not None:
        command += ["-s", str(script)]
    command.append(url)
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + timeout_s + 30
    )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed: {done.stderr or done.stdout}")
    figures = parse_report(done.stdout)
    figures["command"] = " ".join(command)
    return figures


# Posts distinct comments from a Lua script. Placeholders are filled by
# `posting_script`; successes are the responses with the expected status (and,
# for Tribune, a redirect to the new comment), everything else is counted.
_POSTING_LUA = r"""
local threads = {}
local nonce = "%(nonce)s"
local path = "%(path)s"
local kind = "%(kind)s"
local expected = %(expected)d
local cookies = {%(cookies)s}
local csrf = "%(csrf)s"
local filler = "%(filler)s"

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  ok = 0
  other = 0
  counter = 0
end

function request()
  counter = counter + 1
  local writer = (counter %% #cookies) + 1
  local tag = nonce .. "t" .. tid .. "n" .. counter
  local text = "Bench comment " .. tag .. " " .. filler
  if kind == "tribune" then
    local body = "body=" .. string.gsub(text, " ", "+") ..
      "&parent=&client_token=" .. tag ..
      "&csrfmiddlewaretoken=" .. csrf
    local headers = {}
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    headers["Cookie"] = cookies[writer]
    return wrk.format("POST", path, headers, body)
  else
    local body = '{"text": "' .. text .. '", "author": "Bench writer ' ..
      writer .. '", "title": "Posting", "parent": null}'
    local headers = {}
    headers["Content-Type"] = "application/json"
    return wrk.format("POST", path, headers, body)
  end
end

function response(status, headers, body)
  local location = headers["Location"] or headers["location"] or ""
  if status == expected and (kind ~= "tribune" or string.find(location, "#c")) then
    ok = ok + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local o, x = 0, 0
  for _, t in ipairs(threads) do
    o = o + t:get("ok")
    x = x + t:get("other")
  end
  io.write(string.format("BENCH ok=%%d other=%%d\n", o, x))
end
"""

#: The same text for both servers' posts (about 300 characters).
POST_FILLER = (
    "The joint operations doctrine assumes that the services share one picture "
    "of the battlefield and one chain of command, which in practice they rarely "
    "do; the exercise showed how long it takes to agree on a common map and who "
    "may call in fire across the boundary between two formations"
)


def posting_script(
    directory: Path,
    *,
    kind: str,
    path: str,
    nonce: str,
    cookies: list[str] | None = None,
    csrf: str = "",
) -> Path:
    """Write the wrk Lua script that posts comments; return its path.

    `kind` is "tribune" (form POST with CSRF, success = 302 to the comment) or
    "isso" (JSON POST to /new, success = 201).
    """
    cookie_list = ", ".join(f'"{cookie}"' for cookie in (cookies or [""]))
    text = _POSTING_LUA % {
        "nonce": nonce,
        "path": path,
        "kind": kind,
        "expected": 302 if kind == "tribune" else 201,
        "cookies": cookie_list,
        "csrf": csrf,
        "filler": POST_FILLER,
    }
    script = directory / f"post-{kind}-{nonce}.lua"
    script.write_text(text)
    return script
