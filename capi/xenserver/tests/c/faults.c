/*
 * The built-in transport against a misbehaving server: faults NAME=URL...
 * Each URL's server answers the login, misbehaves on the next call, then answers well.
 * For each case: the failed call's error and time, and that the same session then works.
 * Prints "NAME: <ms> ms: <error>" per case and the peak RSS at the end.
 */
#include "support.h"

#include <sys/resource.h>
#include <time.h>

#include <xen/api/xenapi_ext_transport.h>

/* Calls slower than this fail the program (a generous bound: valgrind is slow). */
#define BOUND_MS 8000

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void run_case(const char *name, const char *url)
{
    char *err = NULL;
    xenapi_ext_transport_options opts = { NULL, NULL, false, 0, 1500, 0 };
    xenapi_ext_transport *t = xenapi_ext_transport_new(url, &opts, &err);
    CHECK(NULL, t != NULL && err == NULL);
    xen_session *s = xen_session_login_with_password(xenapi_ext_call_func, t, "root", "pw",
                                                     xen_api_latest_version);
    CHECK(s, s->ok);

    char *label = NULL;
    long start = now_ms();
    bool ok = xen_vm_get_name_label(s, &label, "OpaqueRef:vm");
    long took = now_ms() - start;
    CHECK(s, !ok && label == NULL);
    char *why = xenapi_ext_transport_last_error(t);
    printf("%s: %ld ms: %s", name, took, s->error_description_count > 0
           ? s->error_description[0] : "(no error code)");
    for (int i = 1; i < s->error_description_count; i++)
        printf(" | %s", s->error_description[i]);
    printf(" | last error: %s\n", why ? why : "(none)");
    free(why);
    CHECK(s, took < BOUND_MS);

    /* The same session works for the next good call. */
    xen_session_clear_error(s);
    CHECK(s, xen_vm_get_name_label(s, &label, "OpaqueRef:vm"));
    CHECK_STR(s, label, "OpaqueRef:good");
    free(label);
    xen_session_logout(s);
    xenapi_ext_transport_free(t);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        char *arg = strdup(argv[i]);
        char *eq = strchr(arg, '=');
        CHECK(NULL, eq != NULL);
        *eq = '\0';
        run_case(arg, eq + 1);
        free(arg);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("peak RSS: %ld KiB\n", ru.ru_maxrss);
    printf("faults: all checks passed\n");
    return 0;
}
