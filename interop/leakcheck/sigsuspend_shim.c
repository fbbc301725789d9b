/*
 * Work-around for valgrind 3.19 (Debian 12) with Swift programs, preloaded only into the router
 * that runs under valgrind in interop/leakcheck/run.sh.
 *
 * Swift's async main ends in dispatch_main(), whose signal thread calls sigsuspend() with a mask
 * that lives in libdispatch's read-only data. valgrind 3.19's rt_sigsuspend wrapper writes into
 * the caller's mask, so valgrind itself dies with SIGSEGV ("VALGRIND INTERNAL ERROR"). Passing a
 * writable copy of the mask avoids that; the call means exactly the same.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>

int sigsuspend(const sigset_t *mask) {
    static int (*real_sigsuspend)(const sigset_t *);
    if (!real_sigsuspend) {
        real_sigsuspend = (int (*)(const sigset_t *))dlsym(RTLD_NEXT, "sigsuspend");
    }
    sigset_t copy = *mask;
    return real_sigsuspend(&copy);
}
