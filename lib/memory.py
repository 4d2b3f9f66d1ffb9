"""Giving memory back to the operating system after a burst of allocations."""

import ctypes
import ctypes.util
import threading
import time

# At most this often per process: trimming walks the heap.
MIN_INTERVAL = 10.0

_lock = threading.Lock()
_last = [float("-inf")]


def _glibc_trim():
    """glibc's malloc_trim, or None where the C library has none (musl, macOS)."""
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


_trim = _glibc_trim()


def release_freed_memory(now: float | None = None) -> bool:
    """Return freed heap pages to the OS, at most every MIN_INTERVAL seconds.

    Rendering a thread of thousands of comments allocates tens of megabytes
    of short-lived strings and objects; freed, they stay in the process's heap
    and count in its resident memory until malloc reuses them. Call after such
    a burst. Returns whether a trim ran (never without glibc).
    """
    if _trim is None:
        return False
    now = time.monotonic() if now is None else now
    with _lock:
        if now - _last[0] < MIN_INTERVAL:
            return False
        _last[0] = now
    _trim(0)
    return True
