/* Preloaded before libfaketime by scripts/test-at.sh, so the suite runs under a fake wall clock
 * without what libfaketime 0.9.10 (Debian 12) gets wrong for a multi-threaded Python:
 *
 * - It shifts the deadline of every absolute clock_nanosleep() by the fake offset, monotonic or
 *   not. Python 3.11's time.sleep() sleeps exactly that way: it failed with EINVAL.
 * - Its pthread_cond_timedwait() returns at once on a monotonic condition variable. Python waits
 *   for the GIL on one, so every thread waiting for the GIL spun.
 * - Its pthread_cond_timedwait(), getpid(), getrandom() and getentropy() read the environment on
 *   every call. getenv() racing setenv() in another thread (os.environ, monkeypatch.setenv)
 *   crashed the suite with a segmentation fault every few minutes.
 *
 * So calls that have nothing to do with the wall clock go straight to glibc or the kernel, and
 * the others on to libfaketime. (The periodic re-reading of FAKETIME is turned off by the script.)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

typedef int wait_fn(pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
typedef int sleep_fn(clockid_t, int, const struct timespec *, struct timespec *);
typedef ssize_t random_fn(void *, size_t, unsigned int);
typedef int entropy_fn(void *, size_t);

static void *glibc(const char *name, const char *version) {
  return dlvsym(dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD), name, version);
}

int clock_nanosleep(clockid_t clock_id, int flags, const struct timespec *request,
                    struct timespec *remain) {
  static sleep_fn *faked;
  if (clock_id != CLOCK_REALTIME) {
    /* clock_nanosleep() returns the error number itself rather than setting errno. */
    return syscall(SYS_clock_nanosleep, clock_id, flags, request, remain) == 0 ? 0 : errno;
  }
  if (faked == NULL) {
    faked = (sleep_fn *)dlsym(RTLD_NEXT, "clock_nanosleep");
  }
  return faked(clock_id, flags, request, remain);
}

int pthread_cond_timedwait(pthread_cond_t *cond, pthread_mutex_t *mutex,
                           const struct timespec *abstime) {
  static wait_fn *real, *faked;
  if (real == NULL) {
    real = (wait_fn *)glibc("pthread_cond_timedwait", "GLIBC_2.3.2");
    faked = (wait_fn *)dlvsym(RTLD_NEXT, "pthread_cond_timedwait", "GLIBC_2.3.2");
  }
  /* glibc keeps the clock of a condition variable in bit 1 of __wrefs (since glibc 2.25). */
  int monotonic = (cond->__data.__wrefs & 2) != 0;
  return (monotonic ? real : faked)(cond, mutex, abstime);
}

pid_t getpid(void) {
  return (pid_t)syscall(SYS_getpid);
}

ssize_t getrandom(void *buffer, size_t length, unsigned int flags) {
  static random_fn *real;
  if (real == NULL) {
    real = (random_fn *)glibc("getrandom", "GLIBC_2.25");
  }
  return real(buffer, length, flags);
}

int getentropy(void *buffer, size_t length) {
  static entropy_fn *real;
  if (real == NULL) {
    real = (entropy_fn *)glibc("getentropy", "GLIBC_2.25");
  }
  return real(buffer, length);
}
